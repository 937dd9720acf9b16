import './styles.css';
import { showJoinPage, showProblem } from './pages/join-page.ts';
import { askRoomInfoEarly } from './pages/room-info-early.ts';
import { parseRoute } from './routes.ts';
import { SessionStore } from './session-store.ts';
import { initTheme } from './ui/theme.ts';

// Before anything is drawn: the theme the person chose, or their system's (WEB-43).
initTheme();

const root = document.getElementById('app');
if (!root) throw new Error('index.html must contain #app');
const store = new SessionStore();
let teardown: () => void = () => {};

/** The editor (CodeMirror, Yjs) is its own chunk: the start and join pages load without it. */
const roomPage = () => import('./pages/room-page.ts');
/**
 * PERF-131: so are the start and assignment pages (they make rooms and joins with the SDK's client, Yjs and
 * all): the first bundle is what an invite link needs, the join page and its calls.
 */
const startPage = () => import('./pages/start-page.ts');
const assignmentPage = () => import('./pages/assignment-page.ts');

/** pages rendered so far: a page whose chunk arrives after another page was rendered is not shown */
let renders = 0;

/** Shows a page from its own chunk once it is in; a chunk that fails to load is said on the page. */
function showLater<M>(load: Promise<M>, show: (page: M) => void): void {
  const render = renders;
  load.then(
    (page) => {
      if (render === renders) show(page);
    },
    (err: unknown) => showProblem(root!, 'Something went wrong', String(err)),
  );
}

/** Client-side routing: the server answers every page path with index.html. */
function render(): void {
  teardown();
  teardown = () => {};
  renders++;
  document.title = 'Sparkroom';
  const route = parseRoute(location.pathname, location.hash);
  switch (route.page) {
    case 'start':
      showLater(startPage(), ({ showStartPage }) => showStartPage(root!, store, navigate));
      return;
    case 'join':
      showJoinPage(root!, store, route.roomId, route.invite, navigate);
      // PERF-113: the room page's code loads while the person types a name and the join is asked for.
      // PERF-112: when that code is in (the project-io bench reads it; before the submit, it held the invite page)
      roomPage().then(
        () => performance.mark('sparkroom:room-code-loaded'),
        () => undefined,
      );
      return;
    case 'assignment':
      showLater(assignmentPage(), ({ showAssignmentPage }) =>
        showAssignmentPage(root!, store, route.assignmentId, route.code, navigate),
      );
      return;
    case 'room': {
      // PERF-113: the room's info is asked for while the room page's code loads, not after it.
      const info = askRoomInfoEarly(store, route.roomId);
      roomPage()
        .then(({ showRoomPage }) => {
          // PERF-112: where a join's time goes (the project-io bench reads these marks)
          performance.mark('sparkroom:room-code');
          return showRoomPage(root!, store, route.roomId, info);
        })
        .then(
          (t) => {
            teardown = t;
          },
          (err: unknown) => showProblem(root!, 'Something went wrong', String(err)),
        );
      return;
    }
    case 'not-found':
      showProblem(root!, 'Page not found', 'There is nothing at this address.');
      return;
  }
}

function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

window.addEventListener('popstate', render);
render();
