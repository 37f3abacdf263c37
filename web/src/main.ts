import './styles.css';
import { adoptTokenFromLocation } from './access-token.js';
import { readApi } from './api.js';
import { backfillStatusLine } from './backfill-progress.js';
import { beginRender } from './charts.js';
import { setDefinitionVersions } from './definition-versions.js';
import { h, notice } from './dom.js';
import { freshnessBar } from './freshness.js';
import { currentRoute, type Route } from './router.js';
import { setServerNow } from './server-clock.js';
import { onSessionChange, signedIn, startSignIn } from './sign-in.js';
import { alertsView } from './views/alerts.js';
import { funnelView } from './views/funnel.js';
import { journeyView } from './views/journey.js';
import { metricDetailView } from './views/metric-detail.js';
import { overviewView } from './views/overview.js';
import { quarantineView } from './views/quarantine.js';
import { reviewView } from './views/review.js';
import { sessionControls, signInView } from './views/sign-in.js';

/** How often the page reads the API again while Live is on. */
const REFRESH_MS = 10_000;

const main = document.getElementById('main') as HTMLElement;
const freshness = document.getElementById('freshness') as HTMLElement;
const live = document.getElementById('live') as HTMLInputElement;
const session = document.getElementById('session') as HTMLElement;

function viewFor(route: Route): { name: string; title: string; render: () => Promise<HTMLElement> } {
  const [first] = route.segments;
  switch (first) {
    case undefined:
      return { name: 'overview', title: 'Overview', render: overviewView };
    case 'metrics':
      return {
        name: 'overview',
        title: route.segments[1] ?? 'Metric',
        render: () => metricDetailView(route, () => void render('refresh')),
      };
    case 'funnels':
      return { name: 'funnels', title: 'Funnels', render: () => funnelView(route) };
    case 'journey':
      return { name: 'journey', title: 'Journey', render: journeyView };
    case 'alerts':
      return { name: 'alerts', title: 'Alerts', render: () => alertsView(() => void render('refresh')) };
    case 'review':
      return {
        name: 'review',
        title: route.segments[1] ? `Review: ${route.segments[1]}` : 'Review',
        render: () => reviewView(route),
      };
    case 'quarantine':
      return { name: 'quarantine', title: 'Quarantine', render: () => quarantineView(route) };
    default:
      return {
        name: '',
        title: 'Not found',
        render: async () =>
          notice(
            'empty',
            `Nothing at #/${route.segments.join('/')}. `,
            h('a', { href: '#/' }, 'Go to the overview'),
          ),
      };
  }
}

async function renderFreshness(): Promise<void> {
  // The registry is read with the status, once per render; without it views show no progress.
  const versions = readApi.versions().catch(() => undefined);
  try {
    const status = await readApi.status();
    setServerNow(status.now);
    const registry = await versions;
    setDefinitionVersions(registry);
    freshness.replaceChildren(...freshnessBar(status), ...backfillStatusLine(registry));
    freshness.dataset.state = status.stale ? 'stale' : 'fresh';
  } catch (error) {
    const registry = await versions;
    setDefinitionVersions(registry);
    freshness.replaceChildren(
      notice('error', `Freshness unknown: ${(error as Error).message}`),
      ...backfillStatusLine(registry),
    );
    freshness.dataset.state = 'unknown';
  }
}

let renderId = 0;
let shownPath = '';

/**
 * Renders the view of the current location. A navigation shows a loading state at once;
 * a refresh keeps the page until the new content is ready, then swaps it in one step.
 */
async function render(reason: 'navigate' | 'refresh'): Promise<void> {
  const id = ++renderId;
  const route = currentRoute();
  const view = viewFor(route);
  const path = route.segments.join('/');
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]'))
    link.toggleAttribute('aria-current', link.dataset.nav === view.name);
  document.title = `${view.title} · Northstar`;
  session.replaceChildren(...sessionControls());
  if (!signedIn()) {
    // Behind sign-in and signed out: no API call goes out until the user signs in.
    if (main.querySelector('[data-view="sign-in"]') && reason === 'refresh') return;
    freshness.replaceChildren();
    delete freshness.dataset.state;
    main.replaceChildren(signInView());
    main.removeAttribute('aria-busy');
    shownPath = '';
    return;
  }
  if (reason === 'navigate') {
    main.setAttribute('aria-busy', 'true');
    if (path !== shownPath) main.replaceChildren(notice('loading', 'Loading…'));
  }
  await renderFreshness();
  const release = beginRender();
  try {
    const content = await view.render();
    if (id !== renderId) return;
    const focused = focusSelector();
    main.replaceChildren(content);
    // A refresh keeps the keyboard where it was: the same control in the new content.
    if (focused) main.querySelector<HTMLElement>(focused)?.focus({ preventScroll: true });
    main.dataset.updatedAt = new Date().toISOString();
  } catch (error) {
    if (id !== renderId) return;
    main.replaceChildren(
      notice(
        'error',
        `Could not load this view: ${(error as Error).message} `,
        h('button', { type: 'button', onclick: () => void render('navigate') }, 'Try again'),
      ),
    );
  } finally {
    release();
    if (id === renderId) main.removeAttribute('aria-busy');
  }
  // A new place gets the focus, so keyboard and screen reader users start at its content.
  if (reason === 'navigate' && path !== shownPath) main.focus({ preventScroll: false });
  shownPath = path;
}

/** A selector for the focused control in the view, to find it again after a redraw. */
function focusSelector(): string | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !main.contains(active) || active === main) return undefined;
  if (active.id) return `#${CSS.escape(active.id)}`;
  const link = active.getAttribute('href');
  return link ? `${active.tagName.toLowerCase()}[href="${CSS.escape(link)}"]` : undefined;
}

/** While someone types a note, the page does not redraw under them. */
function isEditing(): boolean {
  const active = document.activeElement;
  return !!active && main.contains(active) && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA');
}

window.addEventListener('hashchange', () => {
  // A `#token=` pasted into the address bar of an open dashboard is taken like one it opened with.
  adoptTokenFromLocation();
  void render('navigate');
});
document.getElementById('refresh-now')?.addEventListener('click', () => void render('refresh'));
document.addEventListener('keydown', (event) => {
  if (event.key === 'r' && !event.ctrlKey && !event.metaKey && !event.altKey && !isEditing()) {
    const target = event.target as HTMLElement | null;
    if (target?.tagName === 'SELECT') return;
    void render('refresh');
  }
});
setInterval(() => {
  if (live.checked && document.visibilityState === 'visible' && !isEditing()) void render('refresh');
}, REFRESH_MS);

// Before the first request, and before the router reads the address: `#token=` is no route.
adoptTokenFromLocation();
onSessionChange(() => void render('navigate'));
// Whether to sign in is the API's to say, so one build serves every deployment.
void startSignIn().then(() => render('navigate'));
