type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Builds an element: attributes (`on*` ones are listeners; false, null and undefined are
 * left out) and children (strings become text, so nothing from the API is parsed as HTML).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A message in place of a view's content: loading, empty or failed. */
export function notice(kind: 'loading' | 'empty' | 'error', message: string, ...extra: Child[]): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-state': kind },
    message,
    ...extra,
  );
}

/** Where a form says why the API refused it; empty (and hidden) until then. */
export function formError(): HTMLParagraphElement {
  return h('p', { class: 'form-error', role: 'alert' });
}

/** A labelled select whose choice the caller puts in the URL. */
export function picker(
  label: string,
  id: string,
  options: readonly { value: string; label: string }[],
  selected: string,
  onChange: (value: string) => void,
): HTMLElement {
  return h(
    'label',
    { class: 'picker', for: id },
    `${label} `,
    h(
      'select',
      { id, onchange: (event: Event) => onChange((event.currentTarget as HTMLSelectElement).value) },
      options.map((option) =>
        h('option', { value: option.value, selected: option.value === selected }, option.label),
      ),
    ),
  );
}
