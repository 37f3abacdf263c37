/**
 * Whether a content security policy lets a page fetch a URL: source-list matching as CSP
 * Level 3 defines it (keywords, scheme sources, host sources with port and path), enough to
 * read a policy the way a browser does. A host source with a path that does not end in `/`
 * matches that exact path only; one ending in `/` matches what lies under it.
 */

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'ws:': '80',
  'wss:': '443',
};

/** The sources of a directive, or of `default-src` when the policy does not name it. */
export function directiveSources(policy: string, directive: string): string[] | undefined {
  const directives = new Map(
    policy
      .split(';')
      .map((one) => one.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!.toLowerCase(), sources] as const),
  );
  return (
    directives.get(directive) ?? (directive.endsWith('-src') ? directives.get('default-src') : undefined)
  );
}

const HOST_SOURCE = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|(?:\*\.)?[^/:]+)(?::(\d+|\*))?(\/.*)?$/i;

function sourceMatches(source: string, url: URL, self: URL): boolean {
  const lower = source.toLowerCase();
  if (lower === "'self'") return url.origin === self.origin;
  if (lower.startsWith("'")) return false;
  if (/^[a-z][a-z0-9+.-]*:$/.test(lower))
    return url.protocol === lower || (lower === 'http:' && url.protocol === 'https:');
  const parts = HOST_SOURCE.exec(source);
  if (!parts) return false;
  const [, scheme, host = '', port, path] = parts;
  const wanted = scheme ? `${scheme.toLowerCase()}:` : self.protocol;
  if (url.protocol !== wanted && !(wanted === 'http:' && url.protocol === 'https:')) return false;
  const urlHost = url.hostname.toLowerCase();
  const sourceHost = host.toLowerCase();
  if (sourceHost.startsWith('*.')) {
    if (!urlHost.endsWith(sourceHost.slice(1))) return false;
  } else if (sourceHost !== '*' && sourceHost !== urlHost) return false;
  const urlPort = url.port || DEFAULT_PORTS[url.protocol];
  if (port !== '*' && (port ?? DEFAULT_PORTS[wanted]) !== urlPort) return false;
  if (!path) return true;
  const urlPath = decodeURIComponent(url.pathname);
  const sourcePath = decodeURIComponent(path);
  return sourcePath.endsWith('/') ? urlPath.startsWith(sourcePath) : urlPath === sourcePath;
}

/** Whether `directive` of `policy` lets a page of `pageUrl` reach `url`; a directive absent and without fallback allows all. */
export function policyAllows(policy: string, directive: string, url: string, pageUrl: string): boolean {
  const sources = directiveSources(policy, directive);
  if (!sources) return true;
  return sources.some((source) => sourceMatches(source, new URL(url), new URL(pageUrl)));
}
