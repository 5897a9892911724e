import { historyPage } from './history.js';
import { connectLive } from './live.js';
import { overview } from './overview.js';
import { alertsPage, devicesPage, rejectedPage } from './tables.js';
import { el } from './dom.js';

/** The dashboard: hash routes, one page at a time; live events stay connected across pages. */
const main = document.getElementById('main')!;
const live = connectLive(document.getElementById('live')!);
let cleanup: () => void = () => {};

async function route(): Promise<void> {
  cleanup();
  cleanup = () => {};
  const [path = '/', query = ''] = location.hash.replace(/^#/, '').split('?');
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.getAttribute('href') === `#${path}`);
  try {
    if (path === '/history') cleanup = await historyPage(main, new URLSearchParams(query));
    else if (path === '/devices') await devicesPage(main);
    else if (path === '/alerts') await alertsPage(main);
    else if (path === '/rejected') await rejectedPage(main);
    else cleanup = await overview(main, live);
    document.body.dataset.page = path;
  } catch (err) {
    main.replaceChildren(el('p', { class: 'muted' }, `Could not load this page: ${(err as Error).message}`));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
