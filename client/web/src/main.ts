import './styles.css';
import { showAssignmentPage } from './pages/assignment-page.ts';
import { showJoinPage, showProblem } from './pages/join-page.ts';
import { askRoomInfoEarly } from './pages/room-info-early.ts';
import { showStartPage } from './pages/start-page.ts';
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

/** Client-side routing: the server answers every page path with index.html. */
function render(): void {
  teardown();
  teardown = () => {};
  document.title = 'Sparkroom';
  const route = parseRoute(location.pathname, location.hash);
  switch (route.page) {
    case 'start':
      showStartPage(root!, store, navigate);
      return;
    case 'join':
      showJoinPage(root!, store, route.roomId, route.invite, navigate);
      // PERF-113: the room page's code loads while the person types a name and the join is asked for.
      roomPage().catch(() => undefined);
      return;
    case 'assignment':
      showAssignmentPage(root!, store, route.assignmentId, route.code, navigate);
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
