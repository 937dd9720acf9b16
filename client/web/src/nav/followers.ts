import type { Awareness } from 'y-protocols/awareness';
import { h, mount } from '../ui/dom.ts';

/** What a follower publishes in its awareness: whom it follows, and a token for this follow. */
interface FollowingField {
  clientId: number;
  since: string;
}

/** What a followed person publishes: the follows they asked to end. */
type UnfollowField = FollowingField[];

export interface FollowersDeps {
  awareness: Awareness;
  /** where the "following you" bar goes (right before it) */
  before: HTMLElement;
  /** this person follows no one any more (the one they followed asked them to stop) */
  stopFollowing(): void;
  told(message: string): void;
}

const isFollowing = (v: unknown): v is FollowingField =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as FollowingField).clientId === 'number' &&
  typeof (v as FollowingField).since === 'string';

/**
 * Who follows whom (NAV-17..NAV-19), through the code doc's awareness: a follower publishes
 * `following: {clientId, since}`; the followed person sees a bar naming their followers with "Stop" per
 * person (and "Stop all"), which publishes `unfollow: [{clientId, since}]`; the follower's page sees its own
 * follow there and stops, saying who ended it. `since` is new for every follow, so following again later
 * is not ended by an old request. Nothing goes through the server but presence it already relays.
 */
export class Followers {
  readonly el: HTMLElement;
  private following: FollowingField | null = null;
  private lastKey = '';

  constructor(private readonly deps: FollowersDeps) {
    this.el = h('div', { class: 'followers-bar', hidden: true, role: 'status', 'aria-live': 'polite' });
    deps.before.before(this.el);
  }

  /** Called on every presence or follow change: publishes our follow, reads our followers. */
  update(followingClientId: number | null): void {
    const aw = this.deps.awareness;
    if ((this.following?.clientId ?? null) !== followingClientId) {
      this.following =
        followingClientId === null
          ? null
          : {
              clientId: followingClientId,
              since: `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`,
            };
      aw.setLocalStateField('following', this.following);
    }
    const me = aw.clientID;
    const states = aw.getStates() as Map<number, Record<string, unknown>>;
    // Were we asked to stop?
    if (this.following) {
      const theirs = states.get(this.following.clientId)?.unfollow;
      const f = this.following;
      if (
        Array.isArray(theirs) &&
        theirs.some((u) => isFollowing(u) && u.clientId === me && u.since === f.since)
      ) {
        const name = nameOf(states.get(f.clientId)) ?? 'They';
        this.following = null;
        aw.setLocalStateField('following', null);
        this.deps.stopFollowing();
        this.deps.told(`${name} stopped you following them.`);
      }
    }
    // Who follows us, and which of our stop requests are done (that follow ended) and can be dropped.
    const followers: { clientId: number; name: string; since: string }[] = [];
    for (const [clientId, state] of states) {
      if (clientId === me) continue;
      const f = state?.following;
      if (isFollowing(f) && f.clientId === me)
        followers.push({ clientId, name: nameOf(state) ?? 'someone', since: f.since });
    }
    const mine = aw.getLocalState()?.unfollow;
    const asked: UnfollowField = Array.isArray(mine) ? mine.filter(isFollowing) : [];
    const stillAsked = asked.filter((u) =>
      followers.some((f) => f.clientId === u.clientId && f.since === u.since),
    );
    if (stillAsked.length !== asked.length) aw.setLocalStateField('unfollow', stillAsked);
    const shown = followers.filter((f) => !stillAsked.some((u) => u.clientId === f.clientId));
    this.render(shown);
  }

  private render(followers: { clientId: number; name: string; since: string }[]): void {
    const key = followers.map((f) => `${f.clientId}:${f.since}:${f.name}`).join('|');
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.el.hidden = followers.length === 0;
    this.el.dataset.count = String(followers.length);
    if (followers.length === 0) {
      this.el.replaceChildren();
      return;
    }
    const names = followers.map((f) => f.name);
    const who =
      names.length === 1
        ? names[0]
        : names.length === 2
          ? `${names[0]} and ${names[1]}`
          : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    mount(
      this.el,
      h('span', { class: 'followers-eye', 'aria-hidden': 'true' }, '◉'),
      h(
        'span',
        { class: 'followers-text' },
        `${who} ${followers.length === 1 ? 'is' : 'are'} following you.`,
      ),
      ...followers.map((f) =>
        h(
          'button',
          {
            class: 'btn small ghost',
            title: `Stop ${f.name} following you`,
            'aria-label': `Stop ${f.name} following you`,
            dataset: { clientId: String(f.clientId) },
            on: { click: () => this.dismiss([f]) },
          },
          followers.length === 1 ? 'Stop them following' : `Stop ${f.name}`,
        ),
      ),
      followers.length > 1 &&
        h('button', { class: 'btn small ghost', on: { click: () => this.dismiss(followers) } }, 'Stop all'),
    );
  }

  private dismiss(list: { clientId: number; since: string }[]): void {
    const aw = this.deps.awareness;
    const mine = aw.getLocalState()?.unfollow;
    const asked: UnfollowField = Array.isArray(mine) ? mine.filter(isFollowing) : [];
    aw.setLocalStateField('unfollow', [
      ...asked,
      ...list.map((f) => ({ clientId: f.clientId, since: f.since })),
    ]);
    this.lastKey = '\0'; // redraw whatever the list is now
    this.update(this.following?.clientId ?? null);
  }

  destroy(): void {
    this.el.remove();
  }
}

function nameOf(state: Record<string, unknown> | undefined): string | null {
  const user = state?.user as { name?: unknown } | undefined;
  return typeof user?.name === 'string' ? user.name : null;
}
