import { type Role, roles, SPARK_COLOR } from '../../../../schema/protocol.ts';
import type { FollowTarget } from '../editor/follow-mode.ts';
import type { Participant } from '../editor/presence-state.ts';
import { h, mount } from '../ui/dom.ts';

export interface PeopleModel {
  me: { id: string; name: string; role: Role; color: string };
  people: Participant[];
  agents: Participant[];
  /** members who joined once but are not here now */
  offline: { id: string; name: string; role: Role }[];
  following: FollowTarget | null;
  agentConfigured: boolean;
  agentLabel: (p: Participant) => string;
  /** this person is an owner: each other person's row gets a role picker and a remove button */
  canManage: boolean;
}

/** A member as the owner's controls act on them. */
export interface PersonRef {
  id: string;
  name: string;
  role: Role;
}

export interface PeopleActions {
  follow(target: FollowTarget): void;
  stopFollowing(): void;
  /** AUTH-5: an owner picked another role for `person` */
  setRole(person: PersonRef, role: Role): void;
  /** AUTH-6: an owner asked to remove `person` (the action confirms first) */
  remove(person: PersonRef): void;
}

const roleLabel: Record<Role | 'agent', string> = {
  owner: 'owner',
  editor: 'editor',
  viewer: 'viewer',
  agent: 'agent',
};

/** The picker's last choice: not a role but removing the person (AUTH-6), as in other sharing dialogs. */
const REMOVE = 'remove';

/**
 * The role of someone else: a badge, or for an owner a picker in the badge's place whose choices are the
 * roles and "Remove from room". The agent is no member and cannot be managed.
 */
function roleControl(
  person: { id: string; name: string; role: Role | 'agent' },
  model: PeopleModel,
  actions: PeopleActions,
): HTMLElement {
  const role = person.role;
  // This person's own other tabs show as people too; changing one's own role is not done from here.
  if (!model.canManage || role === 'agent' || person.id === model.me.id) {
    return h('span', { class: `role role-${role}` }, roleLabel[role]);
  }
  const ref: PersonRef = { id: person.id, name: person.name, role };
  const picker = h(
    'select',
    {
      class: `role-select role-${role}`,
      'aria-label': `Role of ${person.name}`,
      title: `Change what ${person.name} may do, or remove them`,
      dataset: { userId: person.id },
      on: {
        change: () => {
          const next = picker.value;
          // The picker shows the stored role until the server says otherwise (a redraw follows).
          picker.value = role;
          if (next === REMOVE) actions.remove(ref);
          else if (next !== role) actions.setRole(ref, next as Role);
        },
      },
    },
    ...roles.map((r) => h('option', { value: r, selected: r === role }, roleLabel[r])),
    h('hr'),
    h('option', { value: REMOVE }, 'Remove from room…'),
  );
  return picker;
}

/** Who is in the room, with their role and file, and the follow buttons; owners also manage them. */
export function renderPeople(host: HTMLElement, model: PeopleModel, actions: PeopleActions): void {
  const f = model.following;
  const followButton = (target: FollowTarget, active: boolean) =>
    h(
      'button',
      {
        class: `follow-btn${active ? ' active' : ''}`,
        title: active ? 'Stop following' : `Follow ${target.name} across files`,
        on: { click: () => (active ? actions.stopFollowing() : actions.follow(target)) },
      },
      active ? 'Following' : 'Follow',
    );
  // One row per person even when they have several tabs open.
  const seen = new Set<string>();
  const people = model.people.filter((p) => !seen.has(p.user.id) && seen.add(p.user.id));
  const rows: HTMLElement[] = [
    h(
      'div',
      { class: 'person me' },
      h('span', { class: 'avatar', style: `background:${model.me.color}` }, initials(model.me.name)),
      h('span', { class: 'person-name' }, `${model.me.name} (you)`),
      h('span', { class: `role role-${model.me.role}` }, roleLabel[model.me.role]),
    ),
    ...people.map((p) => {
      const active = f?.kind === 'person' && f.clientId === p.clientId;
      return h(
        'div',
        { class: 'person', dataset: { userId: p.user.id } },
        h('span', { class: 'avatar', style: `background:${p.user.color}` }, initials(p.user.name)),
        h(
          'span',
          { class: 'person-name', title: p.file ? `in ${p.file}` : '' },
          p.user.name,
          p.file && h('small', null, p.file),
        ),
        roleControl(p.user, model, actions),
        followButton({ kind: 'person', clientId: p.clientId, name: p.user.name }, active),
      );
    }),
  ];
  if (model.agentConfigured || model.agents.length > 0) {
    const agent = model.agents[0];
    rows.push(
      h(
        'div',
        { class: 'person agent' },
        h('span', { class: 'avatar', style: `background:${SPARK_COLOR}` }, '✦'),
        h(
          'span',
          { class: 'person-name', title: agent ? model.agentLabel(agent) : 'Spark' },
          h('span', null, agent ? model.agentLabel(agent) : 'Spark'),
          h('small', null, agent ? (agent.file ? `writing ${agent.file}` : 'thinking…') : 'idle'),
        ),
        h('span', { class: 'role role-agent' }, 'agent'),
        followButton({ kind: 'spark', name: 'Spark' }, f?.kind === 'spark'),
      ),
    );
  }
  const online = new Set(people.map((p) => p.user.id));
  const offline = model.offline.filter((m) => !online.has(m.id));
  mount(
    host,
    h(
      'div',
      { class: 'panel-head' },
      h('span', { class: 'panel-title' }, 'People'),
      h('span', { class: 'count' }, String(people.length + 1)),
    ),
    h('div', { class: 'people' }, ...rows),
    offline.length > 0 &&
      h(
        'details',
        { class: 'offline' },
        h('summary', null, `${offline.length} not here now`),
        ...offline.map((m) =>
          h(
            'div',
            { class: 'person offline-person', dataset: { userId: m.id } },
            h('span', { class: 'person-name dim' }, m.name),
            roleControl(m, model, actions),
          ),
        ),
      ),
  );
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    parts.length > 1 ? parts[0]![0]! + parts[parts.length - 1]![0]! : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}
