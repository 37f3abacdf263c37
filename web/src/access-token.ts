/**
 * The local runtime's token, when it was started with one (`npm start -- --token`): it prints
 * the dashboard's URL as `http://host:port/#token=<token>`. The page takes the token from the
 * fragment, keeps it for this tab in sessionStorage and takes it out of the address bar (and
 * so out of the history, bookmarks and screenshots); every read API request then carries it.
 */

const STORAGE_KEY = 'northstar.token';
const FRAGMENT = /^#token=([^&]*)/;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    // Storage turned off: the token lasts as long as the page.
    return undefined;
  }
}

let pageToken: string | undefined;

/**
 * Takes `#token=...` from the address, if it is there: the token is kept and the address goes
 * back to the overview (`/`), with nothing left in it or in the history entry. Returns whether
 * there was one.
 */
export function adoptTokenFromLocation(): boolean {
  const match = FRAGMENT.exec(location.hash);
  if (!match) return false;
  let token: string;
  try {
    token = decodeURIComponent(match[1] ?? '');
  } catch {
    token = match[1] ?? '';
  }
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  if (token === '') return true;
  pageToken = token;
  storage()?.setItem(STORAGE_KEY, token);
  return true;
}

/** The token this tab was given, if any. */
export function accessToken(): string | undefined {
  return pageToken ?? storage()?.getItem(STORAGE_KEY) ?? undefined;
}
