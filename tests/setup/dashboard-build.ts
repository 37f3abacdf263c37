import { buildDashboardIfStale } from '../../local/dashboard-build.js';

/** The browser tests drive the built dashboard: build it first when its sources changed. */
export default async function setup() {
  await buildDashboardIfStale();
}
