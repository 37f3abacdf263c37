/** A dashboard location: `#/metrics/weekly_learners?grain=week` -> path segments and query. */
export interface Route {
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

export function currentRoute(hash = location.hash): Route {
  const bare = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = bare.split('?', 2);
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { segments, query: new URLSearchParams(search) };
}

/** The hash of a location, e.g. `#/metrics/weekly_learners?grain=day`. */
export function href(segments: readonly string[], query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, value);
  const search = params.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
}
