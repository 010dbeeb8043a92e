// firebell demo: a small Slack in the browser, driven by `firebell demo`'s JSON API
// (docs/demo-api.md). It polls /demo/api/state and posts what the person does. No
// framework and no build step; every text from the API reaches the page as DOM text
// nodes (never as HTML), and links are only ever http(s) or mailto.
'use strict';

(() => {
  // ---------------------------------------------------------------------------------------
  // The page's own words, in the two locales the bot speaks.
  const STRINGS = {
    en: {
      you_are: 'You are',
      channels: 'Channels',
      demo_controls: 'Demo controls',
      fire_alert: 'Fire sample alert',
      skip: 'Skip ahead',
      skip_by: 'Minutes to skip',
      minutes: '{n} min',
      skipped: '+{n} min',
      bot_clock: 'Bot clock',
      send: 'Send',
      message_label: 'Message',
      message_placeholder: 'Message #{name}',
      dm_placeholder: 'Message {name}',
      direct_messages: 'Direct messages',
      archived_placeholder: 'This channel is archived.',
      hint: 'Type /incident help, /incident declare sev2 service:payments Checkout errors, or a message',
      only_you: 'Only visible to you',
      dismiss: 'Dismiss',
      reply_in_thread: 'Reply in thread',
      reply_placeholder: 'Reply…',
      reply_send: 'Reply',
      more_actions: 'More actions',
      declare: 'Declare incident',
      react_with: 'React with {name}',
      replies_one: '1 reply',
      replies: '{n} replies',
      hide_replies: 'Hide replies',
      edited: '(edited)',
      pinned: 'Pinned',
      pinned_messages: 'Pinned messages',
      no_pins: 'No pinned messages.',
      no_messages: 'No messages here yet.',
      archived: 'archived',
      cancel: 'Cancel',
      submit: 'Submit',
      optional: '(optional)',
      choose: 'Select an option',
      choose_person: 'Select a person',
      choose_channel: 'Select a channel',
      options: 'Options',
      scenario: 'Scenario',
      finished: 'Finished',
      failed: 'Stopped',
      unreachable: 'The demo server does not answer.',
      failed_call: 'That did not work: {error}',
      image: 'image',
    },
    ko: {
      you_are: '사용자',
      channels: '채널',
      demo_controls: '데모 조작',
      fire_alert: '샘플 알림 보내기',
      skip: '시간 앞당기기',
      skip_by: '앞당길 시간(분)',
      minutes: '{n}분',
      skipped: '+{n}분',
      bot_clock: '봇 시각',
      send: '보내기',
      message_label: '메시지',
      message_placeholder: '#{name}에 메시지 보내기',
      dm_placeholder: '{name}에게 메시지 보내기',
      direct_messages: '다이렉트 메시지',
      archived_placeholder: '보관된 채널입니다.',
      hint: '/incident help, /incident declare sev2 service:payments Checkout errors 또는 메시지를 입력하세요',
      only_you: '나에게만 표시',
      dismiss: '닫기',
      reply_in_thread: '스레드에 답장',
      reply_placeholder: '답장…',
      reply_send: '답장',
      more_actions: '더 보기',
      declare: '인시던트 선언',
      react_with: '{name} 반응 남기기',
      replies_one: '답글 1개',
      replies: '답글 {n}개',
      hide_replies: '답글 숨기기',
      edited: '(편집됨)',
      pinned: '고정됨',
      pinned_messages: '고정된 메시지',
      no_pins: '고정된 메시지가 없습니다.',
      no_messages: '아직 메시지가 없습니다.',
      archived: '보관됨',
      cancel: '취소',
      submit: '제출',
      optional: '(선택 사항)',
      choose: '선택하세요',
      choose_person: '사람 선택',
      choose_channel: '채널 선택',
      options: '옵션',
      scenario: '시나리오',
      finished: '완료',
      failed: '중단됨',
      unreachable: '데모 서버가 응답하지 않습니다.',
      failed_call: '실패했습니다: {error}',
      image: '이미지',
    },
  };

  const EMOJI = {
    fire: '🔥', rotating_light: '🚨', white_check_mark: '✅', x: '❌', eyes: '👀', pushpin: '📌',
    warning: '⚠️', hourglass: '⌛', hourglass_flowing_sand: '⏳', memo: '📝', pencil: '📝',
    bell: '🔔', no_bell: '🔕', chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉',
    bar_chart: '📊', chart: '💹', large_green_circle: '🟢', red_circle: '🔴',
    large_yellow_circle: '🟡', large_orange_circle: '🟠', large_blue_circle: '🔵',
    large_purple_circle: '🟣', white_circle: '⚪', black_circle: '⚫',
    busts_in_silhouette: '👥', bust_in_silhouette: '👤', arrows_counterclockwise: '🔄',
    repeat: '🔁', tada: '🎉', clipboard: '📋', mag: '🔍', mag_right: '🔎', link: '🔗',
    telephone_receiver: '📞', phone: '☎️', telephone: '☎️', pager: '📟', calendar: '📆',
    date: '📅', spiral_calendar_pad: '🗓️', stopwatch: '⏱️', alarm_clock: '⏰',
    timer_clock: '⏲️', speech_balloon: '💬', thought_balloon: '💭', construction: '🚧',
    information_source: 'ℹ️', thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎',
    heart: '❤️', raised_hands: '🙌', pray: '🙏', wave: '👋', ok_hand: '👌', muscle: '💪',
    slightly_smiling_face: '🙂', smile: '😄', thinking_face: '🤔', sweat_smile: '😅',
    heavy_check_mark: '✔️', ballot_box_with_check: '☑️', heavy_multiplication_x: '✖️',
    exclamation: '❗', question: '❓', bangbang: '‼️', rocket: '🚀', sos: '🆘', mega: '📣',
    loudspeaker: '📢', books: '📚', book: '📖', page_facing_up: '📄', spiral_note_pad: '🗒️',
    no_entry: '⛔', no_entry_sign: '🚫', octagonal_sign: '🛑', lock: '🔒', unlock: '🔓',
    key: '🔑', hammer_and_wrench: '🛠️', wrench: '🔧', gear: '⚙️', point_right: '👉',
    arrow_right: '➡️', arrow_up: '⬆️', arrow_down: '⬇️', sparkles: '✨', zzz: '💤',
    bulb: '💡', dart: '🎯', ambulance: '🚑', boom: '💥', package: '📦', label: '🏷️',
    round_pushpin: '📍', paperclip: '📎', email: '📧', envelope: '✉️', inbox_tray: '📥',
    outbox_tray: '📤', ticket: '🎫', scroll: '📜', checkered_flag: '🏁', triangular_flag_on_post: '🚩',
    siren: '🚨', green_heart: '💚', broken_heart: '💔', fast_forward: '⏩', rewind: '⏪',
    new: '🆕', sleeping: '😴', hospital: '🏥', shield: '🛡️', test_tube: '🧪', robot_face: '🤖',
    // The rest of what firebell's catalog and renderers use (src/catalog, src/render).
    raising_hand: '🙋', heavy_minus_sign: '➖', heavy_plus_sign: '➕', leftwards_arrow_with_hook: '↩️',
    notebook: '📓', pencil2: '✏️', sunny: '☀️', thunder_cloud_and_rain: '⛈️', white_square: '⬜',
    fire_extinguisher: '🧯',
  };

  const REACTIONS = ['pushpin', 'white_check_mark', 'x', 'eyes'];
  const SKIP_CHOICES = [5, 15, 30, 60, 120];
  const POLL_MS = 500;
  const STORE_AS = 'firebell-demo.as';
  const STORE_CHANNEL = 'firebell-demo.channel';

  // ---------------------------------------------------------------------------------------
  // What the page remembers between polls.
  const ui = {
    locale: 'en',
    as: null,              // the person acting (a user id), or null until the first state
    channel: null,         // the channel shown (an id), or null for the server's default
    channelWanted: null,   // a channel asked for by name (URL or storage) until it is resolved
    state: null,           // the last good state
    shown: null,           // "person|channel" of the last good state
    openThreads: new Set(),
    dismissed: new Set(),
    pinsOpen: false,
    forceBottom: true,
  };
  const msgCache = new Map(); // key -> {sig, node}
  let msgEpoch = '';
  let shownChannelId = null;
  let channelsSig = '';
  let peopleSig = '';
  let headerSig = '';
  let scenarioSig = '';
  let clockSig = '';
  let modalSig = null;       // what the dialog was drawn from (view, locale, people, channels)
  let modalViewSig = null;   // the view (id + content) the dialog shows now
  let modalErrorsSig = '';
  let suppressedViewSig = null; // a view closed or submitted here, hidden until the server moves on
  let localErrors = {};
  const lastSeenCount = new Map();

  const $ = (sel, root = document) => root.querySelector(sel);
  const t = (key, vars) => {
    const table = STRINGS[ui.locale] || STRINGS.en;
    let s = table[key] ?? STRINGS.en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };

  // Builds an element: el('div', {class: 'x', dataset: {ts}}, child, 'text', …).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'dataset') { for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) node.dataset[dk] = String(dv); }
        else if (k === 'text') node.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
        else if (v === true) node.setAttribute(k, '');
        else node.setAttribute(k, String(v));
      }
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const str = (v) => (typeof v === 'string' ? v : (v === undefined || v === null ? '' : String(v)));
  const arr = (v) => (Array.isArray(v) ? v : []);
  const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

  // Only these links are followed; anything else stays text.
  function safeUrl(url) {
    const u = str(url).trim();
    return /^(https?:\/\/|mailto:)/i.test(u) ? u : null;
  }

  // ---------------------------------------------------------------------------------------
  // Notices: small red messages that fade.
  const recentNotices = new Map();
  function notice(text) {
    const now = Date.now();
    if ((recentNotices.get(text) || 0) > now - 5000) return;
    recentNotices.set(text, now);
    const box = $('#notices');
    const n = el('div', { class: 'notice', role: 'alert' }, text);
    box.append(n);
    setTimeout(() => n.classList.add('fading'), 3500);
    setTimeout(() => n.remove(), 4300);
  }

  // ---------------------------------------------------------------------------------------
  // Emoji, plain text and mrkdwn, always as DOM nodes.
  function emojify(text) {
    return str(text).replace(/:([a-z0-9_+-]+):(?::skin-tone-\d:)?/g, (m, name) => EMOJI[name] || m);
  }
  function emojiFor(name) {
    return EMOJI[name] || `:${name}:`;
  }
  // Slack escapes &, < and > in message text.
  function unescapeSlack(text) {
    return str(text).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }
  function plainText(textObj) {
    if (typeof textObj === 'string') return textObj;
    const o = obj(textObj);
    const s = str(o.text);
    if (o.type === 'mrkdwn') return unescapeSlack(s);
    return o.emoji === false ? s : emojify(s);
  }
  // A text object ({type: mrkdwn|plain_text, text}) as nodes.
  function textNodes(textObj) {
    if (typeof textObj === 'string') return mrkdwn(textObj);
    const o = obj(textObj);
    if (o.type === 'mrkdwn') return mrkdwn(str(o.text));
    const frag = document.createDocumentFragment();
    const lines = plainText(o).split('\n');
    lines.forEach((line, i) => { if (i) frag.append(el('br')); frag.append(line); });
    return frag;
  }

  function nameOf(id) {
    const names = obj(ui.state && ui.state.names);
    if (names[id]) return names[id];
    const p = arr(ui.state && ui.state.people).find((x) => x && x.id === id);
    if (p) return p.name;
    const c = arr(ui.state && ui.state.channels).find((x) => x && x.id === id);
    return c ? c.name : null;
  }

  // `<…>` tokens: users, channels, broadcasts, links.
  function angleToken(inner) {
    const bar = inner.indexOf('|');
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? unescapeSlack(inner.slice(bar + 1)) : null;
    if (target.startsWith('@')) {
      const id = target.slice(1);
      const who = nameOf(id) || label || id;
      const me = ui.state && ui.state.me === id;
      return el('span', { class: me ? 'mention me' : 'mention', dataset: { user: id } }, `@${who}`);
    }
    if (target.startsWith('#')) {
      const id = target.slice(1);
      const name = nameOf(id) || label || id;
      return el('a', {
        class: 'channel-link', href: `?channel=${encodeURIComponent(name)}`, dataset: { channel: id },
        onclick: (e) => { e.preventDefault(); switchChannel(id); },
      }, `#${name}`);
    }
    if (target.startsWith('!')) {
      const what = target.slice(1);
      if (what === 'here' || what === 'channel' || what === 'everyone') {
        return el('span', { class: 'mention broadcast' }, `@${what}`);
      }
      if (what.startsWith('subteam^')) return el('span', { class: 'mention' }, label || '@team');
      if (what.startsWith('date^')) return document.createTextNode(label || what);
      return el('span', { class: 'mention' }, label || `@${what}`);
    }
    const url = safeUrl(unescapeSlack(target));
    if (url) return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, emojify(label || url.replace(/^mailto:/, '')));
    return document.createTextNode(`<${unescapeSlack(inner)}>`);
  }

  const INLINE = new RegExp([
    '<((?:[@#!]|https?:\\/\\/|mailto:)[^<>\\n]*)>',                         // 1 angle token
    '`([^`\\n]+)`',                                                       // 2 code
    '(?<![\\w*])\\*(?!\\s)([^*\\n]+?)(?<!\\s)\\*(?![\\w*])',              // 3 bold
    '(?<![\\w_])_(?!\\s)([^_\\n]+?)(?<!\\s)_(?![\\w_])',                  // 4 italic
    '(?<![\\w~])~(?!\\s)([^~\\n]+?)(?<!\\s)~(?![\\w~])',                  // 5 strike
    '(https?:\\/\\/[^\\s<>]+[^\\s<>.,;:!?)\\]\'"])',                      // 6 bare link
  ].join('|'), 'g');

  function inline(text, into, depth = 0) {
    let pos = 0;
    const re = new RegExp(INLINE.source, 'g');
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > pos) into.append(emojify(unescapeSlack(text.slice(pos, m.index))));
      if (m[1] !== undefined) into.append(angleToken(m[1]));
      else if (m[2] !== undefined) into.append(el('code', null, unescapeSlack(m[2])));
      else if (m[6] !== undefined) {
        const url = safeUrl(unescapeSlack(m[6]));
        into.append(url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, url) : unescapeSlack(m[6]));
      } else {
        const tag = m[3] !== undefined ? 'strong' : m[4] !== undefined ? 'em' : 's';
        const node = el(tag);
        const inner = m[3] ?? m[4] ?? m[5];
        if (depth < 4) inline(inner, node, depth + 1); else node.append(unescapeSlack(inner));
        into.append(node);
      }
      pos = re.lastIndex;
      if (m[0].length === 0) re.lastIndex++;
    }
    if (pos < text.length) into.append(emojify(unescapeSlack(text.slice(pos))));
  }

  // Slack's mrkdwn as a fragment: code blocks, quotes, inline marks, line breaks.
  function mrkdwn(source) {
    const frag = document.createDocumentFragment();
    const text = str(source);
    const parts = text.split('```');
    parts.forEach((part, i) => {
      const isCode = i % 2 === 1 && i < parts.length - 1;
      if (isCode) {
        const code = unescapeSlack(part.replace(/^\n/, '').replace(/\n$/, '')
          .replace(/<((?:https?:\/\/|mailto:)[^|>]*)\|([^>]*)>/g, '$2')
          .replace(/<((?:https?:\/\/|mailto:)[^>]*)>/g, '$1'));
        frag.append(el('pre', { class: 'code-block' }, code));
        return;
      }
      let chunk = i % 2 === 1 ? '```' + part : part;
      if (i > 0 && !(i % 2 === 1)) chunk = chunk.replace(/^\n/, '');
      if (i < parts.length - 1) chunk = chunk.replace(/\n$/, '');
      if (!chunk) return;
      let quote = null;
      let first = true;
      for (const line of chunk.split('\n')) {
        const q = /^(?:&gt;|>)\s?(.*)$/.exec(line);
        if (q) {
          if (!quote) { quote = el('blockquote'); frag.append(quote); } else quote.append(el('br'));
          inline(q[1], quote);
          first = true;
          continue;
        }
        quote = null;
        if (!first) frag.append(el('br'));
        inline(line, frag);
        first = false;
      }
    });
    return frag;
  }

  // Slack's `markdown` block (standard Markdown), approximated through mrkdwn.
  function markdownToMrkdwn(md) {
    return str(md)
      .replace(/^#{1,6}\s+(.*)$/gm, '*$1*')
      .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
      .replace(/__([^_\n]+)__/g, '*$1*')
      .replace(/~~([^~\n]+)~~/g, '~$1~')
      .replace(/\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^)\s]+)\)/g, '<$2|$1>')
      .replace(/^\s*[-*]\s+/gm, '• ');
  }

  // ---------------------------------------------------------------------------------------
  // Block Kit.

  // Where an interaction goes: a message (ts), an ephemeral (id) or the open modal (view).
  function actionBody(ctx, block, element) {
    const body = { as: ui.as, block_id: str(block && block.block_id), action_id: str(element.action_id), type: str(element.type) };
    if (ctx.kind === 'view') body.view_id = ctx.viewId;
    if (ctx.kind === 'message') body.ts = ctx.ts;
    if (ctx.kind === 'ephemeral') body.ephemeral_id = ctx.id;
    body.channel = ctx.channel || ui.channel;
    return body;
  }
  function sendAction(ctx, block, element, extra) {
    const body = Object.assign(actionBody(ctx, block, element), extra || {});
    return post('/demo/api/action', body);
  }

  function optionLabel(option) {
    return plainText(obj(option).text);
  }
  function cleanOption(option) {
    const o = obj(option);
    const out = { text: o.text, value: o.value };
    if (o.description) out.description = o.description;
    return out;
  }
  function allOptions(element) {
    const direct = arr(element.options);
    const grouped = arr(element.option_groups).flatMap((g) => arr(obj(g).options));
    return direct.concat(grouped);
  }

  function buildButton(element, block, ctx) {
    const style = element.style === 'primary' || element.style === 'danger' ? ` ${element.style}` : '';
    const url = safeUrl(element.url);
    return el('button', {
      type: 'button', class: `bk-button${style}`,
      dataset: { actionId: str(element.action_id), blockId: str(block && block.block_id), value: element.value },
      'aria-label': element.accessibility_label,
      onclick: () => {
        if (url) window.open(url, '_blank', 'noopener');
        sendAction(ctx, block, element, element.value !== undefined ? { value: str(element.value) } : {});
      },
    }, plainText(element.text) || str(element.action_id));
  }

  function buildOverflow(element, block, ctx) {
    const wrap = el('span', { class: 'bk-overflow' });
    const menu = el('div', { class: 'bk-menu', role: 'menu', hidden: true });
    const toggle = el('button', {
      type: 'button', class: 'bk-overflow-button', 'aria-haspopup': 'true', 'aria-expanded': 'false',
      'aria-label': t('options'), title: t('options'),
      dataset: { actionId: str(element.action_id), blockId: str(block && block.block_id) },
      onclick: (e) => { e.stopPropagation(); toggleMenu(menu, toggle); },
    }, '⋯');
    for (const option of arr(element.options)) {
      menu.append(el('button', {
        type: 'button', class: 'bk-menu-item', role: 'menuitem', dataset: { value: obj(option).value },
        onclick: () => {
          closeMenus();
          const url = safeUrl(obj(option).url);
          if (url) window.open(url, '_blank', 'noopener');
          sendAction(ctx, block, element, { selected_option: cleanOption(option) });
        },
      }, optionLabel(option)));
    }
    wrap.append(toggle, menu);
    return wrap;
  }

  function toggleMenu(menu, button) {
    const open = menu.hidden;
    closeMenus();
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) { const first = menu.querySelector('button'); if (first) first.focus(); }
  }
  function closeMenus() {
    for (const m of document.querySelectorAll('.bk-menu:not([hidden]), .more-menu:not([hidden])')) m.hidden = true;
    for (const b of document.querySelectorAll('[aria-expanded="true"].bk-overflow-button, [aria-expanded="true"].more')) b.setAttribute('aria-expanded', 'false');
  }

  function placeholderOption(text) {
    return el('option', { value: '' }, text);
  }

  // A <select> for static_select / multi_static_select (options or option_groups).
  function buildStaticSelect(element, multi) {
    const select = el('select', { class: 'bk-select', multiple: multi || undefined });
    const initial = multi
      ? new Set(arr(element.initial_options).map((o) => str(obj(o).value)))
      : new Set(element.initial_option ? [str(obj(element.initial_option).value)] : []);
    if (!multi) select.append(placeholderOption(element.placeholder ? plainText(element.placeholder) : t('choose')));
    const addOption = (into, option) => {
      const value = str(obj(option).value);
      into.append(el('option', { value, selected: initial.has(value) || undefined }, optionLabel(option)));
    };
    for (const option of arr(element.options)) addOption(select, option);
    for (const group of arr(element.option_groups)) {
      const g = el('optgroup', { label: plainText(obj(group).label) });
      for (const option of arr(obj(group).options)) addOption(g, option);
      select.append(g);
    }
    if (multi) select.size = Math.min(6, Math.max(3, allOptions(element).length));
    return select;
  }

  function buildUsersSelect(element, multi) {
    const select = el('select', { class: 'bk-select', multiple: multi || undefined });
    const initial = new Set(multi ? arr(element.initial_users).map(str) : (element.initial_user ? [str(element.initial_user)] : []));
    if (!multi) select.append(placeholderOption(element.placeholder ? plainText(element.placeholder) : t('choose_person')));
    for (const p of arr(ui.state && ui.state.people)) {
      const label = p.title ? `${p.name} — ${p.title}` : str(p.name);
      select.append(el('option', { value: str(p.id), selected: initial.has(p.id) || undefined }, label));
    }
    if (multi) select.size = Math.min(6, Math.max(3, arr(ui.state && ui.state.people).length));
    return select;
  }

  function buildChannelsSelect(element, multi) {
    const select = el('select', { class: 'bk-select', multiple: multi || undefined });
    const initials = [element.initial_conversation, element.initial_channel].filter(Boolean).map(str);
    const initial = new Set(multi ? arr(element.initial_conversations || element.initial_channels).map(str) : initials);
    if (!multi) select.append(placeholderOption(element.placeholder ? plainText(element.placeholder) : t('choose_channel')));
    for (const c of arr(ui.state && ui.state.channels)) {
      select.append(el('option', { value: str(c.id), selected: initial.has(c.id) || undefined }, `${c.is_private ? '🔒' : '#'}${c.name}`));
    }
    if (multi) select.size = Math.min(6, Math.max(3, arr(ui.state && ui.state.channels).length));
    return select;
  }

  function buildChoices(element, kind, name) {
    const box = el('div', { class: `bk-choices bk-${kind}`, role: kind === 'radio_buttons' ? 'radiogroup' : 'group' });
    const initial = new Set(kind === 'checkboxes'
      ? arr(element.initial_options).map((o) => str(obj(o).value))
      : (element.initial_option ? [str(obj(element.initial_option).value)] : []));
    arr(element.options).forEach((option, i) => {
      const value = str(obj(option).value);
      const id = `${name}-${i}`;
      const input = el('input', { type: kind === 'checkboxes' ? 'checkbox' : 'radio', id, name, value, checked: initial.has(value) || undefined });
      const label = el('label', { for: id }, textNodes(obj(option).text));
      const row = el('div', { class: 'bk-choice' }, input, label);
      if (obj(option).description) row.append(el('div', { class: 'bk-choice-description' }, textNodes(option.description)));
      box.append(row);
    });
    return box;
  }

  let uniq = 0;
  // An interactive element (in actions, an accessory or an input). `inModal` inputs are only
  // read on submit; elsewhere a change is an action at once.
  function buildElement(element, block, ctx, opts = {}) {
    const e = obj(element);
    const type = str(e.type);
    const dispatch = !opts.input || e.dispatch_action || block.dispatch_action;
    let node;
    const mark = (n) => {
      n.classList.add('bk-el');
      n.dataset.blockId = str(block && block.block_id);
      n.dataset.actionId = str(e.action_id);
      n.dataset.type = type;
      n.bk = e;
      return n;
    };
    switch (type) {
      case 'button':
        return buildButton(e, block, ctx);
      case 'overflow':
        return buildOverflow(e, block, ctx);
      case 'image':
        return buildImage(e, 'bk-accessory-image');
      case 'static_select':
      case 'external_select':
      case 'multi_static_select':
      case 'multi_external_select': {
        const multi = type.startsWith('multi_');
        node = mark(buildStaticSelect(e, multi));
        if (dispatch) node.addEventListener('change', () => {
          const chosen = readElement(node);
          sendAction(ctx, block, e, multi ? { selected_options: chosen.selected_options } : { selected_option: chosen.selected_option });
        });
        return node;
      }
      case 'users_select':
      case 'multi_users_select': {
        const multi = type === 'multi_users_select';
        node = mark(buildUsersSelect(e, multi));
        if (dispatch) node.addEventListener('change', () => {
          const chosen = readElement(node);
          sendAction(ctx, block, e, multi ? { selected_users: chosen.selected_users } : { selected_user: chosen.selected_user });
        });
        return node;
      }
      case 'conversations_select':
      case 'channels_select':
      case 'multi_conversations_select':
      case 'multi_channels_select': {
        const multi = type.startsWith('multi_');
        node = mark(buildChannelsSelect(e, multi));
        if (dispatch) node.addEventListener('change', () => {
          const chosen = readElement(node);
          const extra = {};
          for (const [k, v] of Object.entries(chosen)) if (k !== 'type') extra[k] = v;
          sendAction(ctx, block, e, extra);
        });
        return node;
      }
      case 'checkboxes':
      case 'radio_buttons': {
        node = mark(buildChoices(e, type, `bk${++uniq}`));
        if (dispatch) node.addEventListener('change', () => {
          const chosen = readElement(node);
          sendAction(ctx, block, e, type === 'checkboxes' ? { selected_options: chosen.selected_options } : { selected_option: chosen.selected_option });
        });
        return node;
      }
      case 'datepicker':
      case 'timepicker': {
        const isDate = type === 'datepicker';
        node = mark(el('input', { type: isDate ? 'date' : 'time', class: 'bk-date', value: isDate ? e.initial_date : e.initial_time }));
        if (dispatch) node.addEventListener('change', () => {
          sendAction(ctx, block, e, isDate ? { selected_date: node.value || null } : { selected_time: node.value || null });
        });
        return node;
      }
      case 'plain_text_input':
      case 'email_text_input':
      case 'url_text_input':
      case 'number_input': {
        const attrs = {
          class: 'bk-text',
          placeholder: e.placeholder ? plainText(e.placeholder) : undefined,
          maxlength: e.max_length, minlength: e.min_length,
        };
        if (type === 'plain_text_input' && e.multiline) {
          node = el('textarea', Object.assign(attrs, { rows: 4 }));
        } else {
          const inputType = { email_text_input: 'email', url_text_input: 'url', number_input: 'number' }[type] || 'text';
          node = el('input', Object.assign(attrs, {
            type: inputType,
            step: type === 'number_input' ? (e.is_decimal_allowed ? 'any' : '1') : undefined,
            min: e.min_value, max: e.max_value,
          }));
        }
        node.value = str(e.initial_value);
        mark(node);
        return node;
      }
      default: {
        // Unknown: its text, if any.
        const label = e.text ? plainText(e.text) : (e.placeholder ? plainText(e.placeholder) : type);
        return el('span', { class: 'bk-unknown' }, label);
      }
    }
  }

  // What an element holds, in the shape of Slack's view.state.values entries.
  function readElement(node) {
    const e = node.bk || {};
    const type = str(e.type || node.dataset.type);
    const selectedValues = () => [...node.selectedOptions].map((o) => o.value).filter((v) => v !== '');
    const findOption = (value) => allOptions(e).find((o) => str(obj(o).value) === value);
    switch (type) {
      case 'static_select':
      case 'external_select': {
        const v = selectedValues()[0];
        const o = v !== undefined ? findOption(v) : null;
        return { type, selected_option: o ? cleanOption(o) : null };
      }
      case 'multi_static_select':
      case 'multi_external_select':
        return { type, selected_options: selectedValues().map(findOption).filter(Boolean).map(cleanOption) };
      case 'users_select':
        return { type, selected_user: selectedValues()[0] || null };
      case 'multi_users_select':
        return { type, selected_users: selectedValues() };
      case 'conversations_select':
        return { type, selected_conversation: selectedValues()[0] || null };
      case 'channels_select':
        return { type, selected_channel: selectedValues()[0] || null };
      case 'multi_conversations_select':
        return { type, selected_conversations: selectedValues() };
      case 'multi_channels_select':
        return { type, selected_channels: selectedValues() };
      case 'checkboxes': {
        const checked = [...node.querySelectorAll('input:checked')].map((i) => i.value);
        return { type, selected_options: checked.map(findOption).filter(Boolean).map(cleanOption) };
      }
      case 'radio_buttons': {
        const checked = node.querySelector('input:checked');
        const o = checked ? findOption(checked.value) : null;
        return { type, selected_option: o ? cleanOption(o) : null };
      }
      case 'datepicker':
        return { type, selected_date: node.value || null };
      case 'timepicker':
        return { type, selected_time: node.value || null };
      default:
        return { type, value: node.value === '' ? null : node.value };
    }
  }

  function buildImage(image, cls) {
    const i = obj(image);
    const url = str(i.image_url);
    const alt = str(i.alt_text) || t('image');
    // The demo stays offline: only images from this server (or inline data) are loaded.
    if (/^data:image\//i.test(url) || (url.startsWith('/') && !url.startsWith('//'))) {
      return el('img', { class: cls, src: url, alt });
    }
    const safe = safeUrl(url);
    const label = el('span', { class: `${cls} image-placeholder`, title: alt, role: 'img', 'aria-label': alt }, '🖼️');
    if (!safe) return label;
    return el('a', { href: safe, target: '_blank', rel: 'noopener noreferrer', class: 'image-link' }, label);
  }

  function richTextElements(elements, into) {
    for (const item of arr(elements)) {
      const it = obj(item);
      let node;
      switch (it.type) {
        case 'text': node = document.createTextNode(str(it.text)); break;
        case 'link': {
          const url = safeUrl(it.url);
          node = url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, str(it.text) || url) : document.createTextNode(str(it.text || it.url));
          break;
        }
        case 'user': node = el('span', { class: ui.state && ui.state.me === it.user_id ? 'mention me' : 'mention' }, `@${nameOf(it.user_id) || str(it.user_id)}`); break;
        case 'usergroup': node = el('span', { class: 'mention' }, `@${str(it.usergroup_id)}`); break;
        case 'channel': node = angleToken(`#${str(it.channel_id)}`); break;
        case 'broadcast': node = el('span', { class: 'mention broadcast' }, `@${str(it.range)}`); break;
        case 'emoji': node = document.createTextNode(EMOJI[it.name] || (it.unicode ? safeUnicode(it.unicode) : `:${str(it.name)}:`)); break;
        case 'date': node = document.createTextNode(str(it.fallback || it.timestamp)); break;
        default: node = document.createTextNode(str(it.text)); break;
      }
      const style = obj(it.style);
      if (style.code) node = el('code', null, node);
      if (style.strike) node = el('s', null, node);
      if (style.italic) node = el('em', null, node);
      if (style.bold) node = el('strong', null, node);
      into.append(node);
    }
  }
  function safeUnicode(hex) {
    try {
      return String.fromCodePoint(...str(hex).split('-').map((h) => parseInt(h, 16)).filter((n) => Number.isFinite(n) && n > 0 && n <= 0x10ffff));
    } catch (_) { return ''; }
  }
  // Text with newlines as separate lines.
  function appendWithBreaks(into, text) {
    str(text).split('\n').forEach((line, i) => { if (i) into.append(el('br')); into.append(line); });
  }
  function buildRichText(block) {
    const box = el('div', { class: 'bk-rich-text' });
    for (const part of arr(block.elements)) {
      const p = obj(part);
      if (p.type === 'rich_text_list') {
        const list = el(p.style === 'ordered' ? 'ol' : 'ul');
        for (const item of arr(p.elements)) { const li = el('li'); richTextElements(obj(item).elements, li); list.append(li); }
        box.append(list);
      } else if (p.type === 'rich_text_preformatted') {
        const pre = el('pre', { class: 'code-block' });
        richTextElements(p.elements, pre);
        box.append(pre);
      } else if (p.type === 'rich_text_quote') {
        const q = el('blockquote');
        richTextElements(p.elements, q);
        box.append(q);
      } else {
        const div = el('div', { class: 'rich-section' });
        const tmp = document.createDocumentFragment();
        richTextElements(p.elements, tmp);
        // Text nodes with newlines become line breaks.
        for (const n of [...tmp.childNodes]) {
          if (n.nodeType === Node.TEXT_NODE) appendWithBreaks(div, n.textContent); else div.append(n);
        }
        box.append(div);
      }
    }
    return box;
  }

  function buildInputBlock(block, ctx) {
    const b = obj(block);
    const blockId = str(b.block_id);
    const element = obj(b.element);
    const wrap = el('div', { class: 'bk-input-block', dataset: { blockId } });
    const control = buildElement(element, b, ctx, { input: true });
    const controlId = `in-${++uniq}`;
    const isGroup = element.type === 'checkboxes' || element.type === 'radio_buttons';
    const labelText = [plainText(b.label)];
    const label = el(isGroup ? 'div' : 'label', { class: 'bk-label', for: isGroup ? undefined : controlId, id: `${controlId}-label` }, labelText);
    if (b.optional) label.append(' ', el('span', { class: 'bk-optional' }, t('optional')));
    if (isGroup) control.setAttribute('aria-labelledby', `${controlId}-label`);
    else control.id = controlId;
    wrap.append(label, control);
    if (b.hint) wrap.append(el('div', { class: 'bk-hint' }, textNodes(b.hint)));
    return wrap;
  }

  function renderBlock(block, ctx) {
    const b = obj(block);
    switch (b.type) {
      case 'header':
        return el('div', { class: 'bk-header', role: 'heading', 'aria-level': '3' }, plainText(b.text));
      case 'section': {
        const sec = el('div', { class: 'bk-section', dataset: { blockId: b.block_id } });
        const main = el('div', { class: 'bk-section-main' });
        if (b.text) main.append(el('div', { class: 'bk-text-body' }, textNodes(b.text)));
        if (arr(b.fields).length) {
          const grid = el('div', { class: 'bk-fields' });
          for (const f of b.fields) grid.append(el('div', { class: 'bk-field' }, textNodes(f)));
          main.append(grid);
        }
        sec.append(main);
        if (b.accessory) sec.append(el('div', { class: 'bk-accessory' }, buildElement(b.accessory, b, ctx)));
        return sec;
      }
      case 'context': {
        const row = el('div', { class: 'bk-context' });
        for (const item of arr(b.elements)) {
          const it = obj(item);
          if (it.type === 'image') row.append(buildImage(it, 'bk-context-image'));
          else row.append(el('span', { class: 'bk-context-text' }, textNodes(it)));
        }
        return row;
      }
      case 'divider':
        return el('hr', { class: 'bk-divider' });
      case 'actions': {
        const row = el('div', { class: 'bk-actions', dataset: { blockId: b.block_id } });
        for (const item of arr(b.elements)) row.append(buildElement(item, b, ctx));
        return row;
      }
      case 'image': {
        const fig = el('figure', { class: 'bk-image' });
        if (b.title) fig.append(el('figcaption', null, plainText(b.title)));
        fig.append(buildImage(b, 'bk-image-img'));
        return fig;
      }
      case 'rich_text':
        return buildRichText(b);
      case 'input':
        return buildInputBlock(b, ctx);
      case 'markdown':
        return el('div', { class: 'bk-markdown' }, mrkdwn(markdownToMrkdwn(b.text)));
      default: {
        const fallback = b.text ? plainText(b.text) : (b.fallback || b.title && plainText(b.title) || '');
        return fallback ? el('div', { class: 'bk-unknown' }, fallback) : null;
      }
    }
  }

  // Blocks (or, without blocks, the text) as a body; a block that cannot be drawn shows
  // whatever text it has, and the page carries on.
  function renderBody(blocks, text, ctx) {
    const body = el('div', { class: 'message-body' });
    const list = arr(blocks);
    if (!list.length) {
      body.append(el('div', { class: 'bk-text-body' }, mrkdwn(text)));
      return body;
    }
    for (const block of list) {
      try {
        const node = renderBlock(block, ctx);
        if (node) body.append(node);
      } catch (err) {
        const fallback = obj(obj(block).text).text || '';
        if (fallback) body.append(el('div', { class: 'bk-unknown' }, str(fallback)));
        if (window.console) console.warn('firebell demo: a block could not be drawn', block, err);
      }
    }
    if (!body.childNodes.length && text) body.append(el('div', { class: 'bk-text-body' }, mrkdwn(text)));
    return body;
  }

  // ---------------------------------------------------------------------------------------
  // Messages.
  function pad2(n) { return String(n).padStart(2, '0'); }
  function hhmm(date) { return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`; }
  function tsDate(ts) {
    const seconds = parseFloat(str(ts));
    return Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
  }

  // `at` of an ephemeral: seconds since the epoch (a number or digits), or an ISO time.
  function atDate(at) {
    if (at === undefined || at === null || at === '') return null;
    if (typeof at === 'number' || /^\d+(\.\d+)?$/.test(str(at))) {
      const n = Number(at);
      return new Date(n > 1e12 ? n : n * 1000);
    }
    const d = new Date(str(at));
    return isNaN(d) ? null : d;
  }

  function avatar(name, id, bot) {
    const initial = (str(name).trim()[0] || '?').toUpperCase();
    let h = 0;
    for (const c of str(id || name)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    const cls = bot ? 'avatar bot' : `avatar hue-${h % 8}`;
    return el('div', { class: cls, 'aria-hidden': 'true' }, initial);
  }

  function messageHeader(m, extra) {
    const name = str(m.name) || nameOf(m.user) || str(m.user) || 'unknown';
    const head = el('div', { class: 'message-head' }, el('span', { class: 'message-name' }, name));
    if (m.bot) head.append(el('span', { class: 'badge-app' }, 'APP'));
    const date = tsDate(m.ts) || atDate(m.at);
    if (date && !isNaN(date)) head.append(el('time', { class: 'message-time', datetime: date.toISOString(), title: date.toLocaleString() }, hhmm(date)));
    if (m.edited) head.append(el('span', { class: 'edited' }, t('edited')));
    if (extra) head.append(extra);
    return head;
  }

  function reactionChips(m, channel) {
    const list = arr(m.reactions).filter((r) => r && r.count > 0);
    if (!list.length) return null;
    const row = el('div', { class: 'reactions' });
    for (const r of list) {
      row.append(el('button', {
        type: 'button', class: r.mine ? 'reaction mine' : 'reaction', dataset: { name: r.name },
        'aria-pressed': r.mine ? 'true' : 'false', title: `:${r.name}:`,
        onclick: () => react(channel, m.ts, r.name),
      }, el('span', { class: 'reaction-emoji' }, emojiFor(r.name)), el('span', { class: 'reaction-count' }, String(r.count))));
    }
    return row;
  }

  function toolbar(m, channel, parentTs) {
    const bar = el('div', { class: 'toolbar' });
    for (const name of REACTIONS) {
      bar.append(el('button', {
        type: 'button', class: 'react', dataset: { react: name },
        'aria-label': t('react_with', { name: `:${name}:` }), title: `:${name}:`,
        onclick: () => react(channel, m.ts, name),
      }, emojiFor(name)));
    }
    if (!parentTs) {
      bar.append(el('button', {
        type: 'button', class: 'reply-in-thread', title: t('reply_in_thread'),
        onclick: () => openThread(m.ts, true),
      }, el('span', { 'aria-hidden': 'true' }, '💬'), el('span', { class: 'toolbar-label' }, t('reply_in_thread'))));
    }
    const menu = el('div', { class: 'more-menu', role: 'menu', hidden: true },
      el('button', {
        type: 'button', class: 'shortcut', role: 'menuitem', dataset: { shortcut: 'declare_incident' },
        onclick: () => { closeMenus(); post('/demo/api/shortcut', { as: ui.as, channel, ts: m.ts }); },
      }, el('span', { 'aria-hidden': 'true' }, '🔥 '), t('declare')));
    const more = el('button', {
      type: 'button', class: 'more', 'aria-haspopup': 'true', 'aria-expanded': 'false',
      'aria-label': t('more_actions'), title: t('more_actions'),
      onclick: (e) => { e.stopPropagation(); toggleMenu(menu, more); },
    }, '⋯');
    bar.append(el('span', { class: 'more-wrap' }, more, menu));
    return bar;
  }

  function messageNode(m, channel, opts = {}) {
    const cls = ['message'];
    if (m.bot) cls.push('bot');
    if (m.pinned) cls.push('pinned');
    if (opts.reply) cls.push('reply');
    if (opts.grouped) cls.push('grouped');
    if (m.user && ui.state && m.user === ui.state.me) cls.push('mine');
    const node = el('div', { class: cls.join(' '), dataset: { ts: m.ts, user: m.user } });
    if (m.pinned) node.append(el('div', { class: 'pin-marker' }, el('span', { 'aria-hidden': 'true' }, '📌 '), t('pinned')));
    const row = el('div', { class: 'message-row' });
    const content = el('div', { class: 'message-content' });
    const ctx = { kind: 'message', ts: m.ts, channel };
    const body = renderBody(m.blocks, m.text, ctx);
    if (opts.grouped) {
      // A follow-up from the same author: no name or avatar, the time in the gutter.
      const head = messageHeader(m);
      head.classList.add('sr-only');
      const bar = toolbar(m, channel, opts.parentTs);
      bar.classList.add('floating');
      content.append(head, bar, body);
      if (m.edited) body.append(el('span', { class: 'edited' }, t('edited')));
    } else {
      content.append(el('div', { class: 'message-top' }, messageHeader(m), toolbar(m, channel, opts.parentTs)), body);
    }
    const chips = reactionChips(m, channel);
    if (chips) content.append(chips);
    if (!opts.reply) {
      const replies = arr(m.replies).filter((r) => r && r.ts !== m.ts);
      const open = ui.openThreads.has(m.ts);
      if (replies.length || open) {
        const label = open ? t('hide_replies') : (replies.length === 1 ? t('replies_one') : t('replies', { n: replies.length }));
        content.append(el('button', {
          type: 'button', class: 'replies-toggle', 'aria-expanded': String(open),
          onclick: () => { if (ui.openThreads.has(m.ts)) ui.openThreads.delete(m.ts); else ui.openThreads.add(m.ts); render(); },
        }, el('span', { class: 'reply-avatars', 'aria-hidden': 'true' }, '💬'), label));
      }
      if (open) content.append(threadNode(m, replies, channel));
    }
    if (opts.grouped) {
      const date = tsDate(m.ts);
      row.append(el('div', { class: 'gutter', 'aria-hidden': 'true' }, date ? hhmm(date) : ''), content);
    } else {
      row.append(avatar(m.name || nameOf(m.user), m.user, m.bot), content);
    }
    node.append(row);
    return node;
  }

  function threadNode(parent, replies, channel) {
    const box = el('div', { class: 'thread', dataset: { threadTs: parent.ts } });
    for (const r of replies) box.append(messageNode(r, channel, { reply: true, parentTs: parent.ts }));
    const area = el('textarea', {
      class: 'thread-composer', rows: 1, placeholder: t('reply_placeholder'), 'aria-label': t('reply_in_thread'),
      dataset: { threadTs: parent.ts, keep: `thread:${parent.ts}` },
    });
    const send = () => {
      const text = area.value.trim();
      if (!text) return;
      sendButton.disabled = true;
      post('/demo/api/message', { as: ui.as, channel, text, thread_ts: parent.ts }).then((answer) => {
        sendButton.disabled = false;
        if (answer.ok) { area.value = ''; const live = document.querySelector(`textarea.thread-composer[data-thread-ts="${cssEscape(parent.ts)}"]`); if (live) live.value = ''; }
      });
    };
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); send(); }
    });
    const sendButton = el('button', { type: 'button', class: 'thread-send', dataset: { threadTs: parent.ts }, onclick: send }, t('reply_send'));
    box.append(el('div', { class: 'thread-composer-row' }, area, sendButton));
    return box;
  }

  function ephemeralNode(e, channel) {
    const bot = obj(ui.state && ui.state.names).U0FIREBELL || 'firebell';
    const m = { ts: null, at: e.at, name: e.name || bot, user: e.user || 'U0FIREBELL', bot: true };
    const node = el('div', { class: 'message ephemeral bot', dataset: { ephemeralId: e.id } });
    const label = el('span', { class: 'ephemeral-label' }, el('span', { 'aria-hidden': 'true' }, '👁 '), t('only_you'));
    const dismiss = el('button', {
      type: 'button', class: 'dismiss', 'aria-label': t('dismiss'), title: t('dismiss'),
      onclick: () => { ui.dismissed.add(e.id); render(); },
    }, '×');
    const content = el('div', { class: 'message-content' });
    content.append(el('div', { class: 'message-top' }, messageHeader(m, label), dismiss));
    content.append(renderBody(e.blocks, e.text, { kind: 'ephemeral', id: e.id, channel: e.channel || channel }));
    node.append(el('div', { class: 'message-row' }, avatar(m.name, m.user, true), content));
    return node;
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(str(s)) : str(s).replace(/["\\]/g, '\\$&');
  }

  // Values typed into fields marked data-keep (thread composers) survive a redraw.
  function keepInputs(oldNode, newNode) {
    if (!oldNode) return;
    const active = document.activeElement;
    for (const field of oldNode.querySelectorAll('[data-keep]')) {
      const twin = newNode.querySelector(`[data-keep="${cssEscape(field.dataset.keep)}"]`);
      if (!twin) continue;
      twin.value = field.value;
      if (field === active) {
        const { selectionStart, selectionEnd } = field;
        requestAnimationFrame(() => { twin.focus(); try { twin.setSelectionRange(selectionStart, selectionEnd); } catch (_) { /* not text */ } });
      }
    }
  }

  function openThread(ts, focus) {
    ui.openThreads.add(ts);
    render();
    if (focus) {
      const area = document.querySelector(`textarea.thread-composer[data-thread-ts="${cssEscape(ts)}"]`);
      if (area) { area.focus(); area.scrollIntoView({ block: 'nearest' }); }
    }
  }

  function renderMessages(st) {
    const box = $('#messages');
    const ch = obj(st.channel);
    const channelId = str(ch.id);
    const epoch = JSON.stringify([ui.locale, st.names, st.me, arr(st.people).map((p) => [p.id, p.name, p.title]), arr(st.channels).map((c) => [c.id, c.name, c.is_private])]);
    const switched = channelId !== shownChannelId;
    if (switched) {
      msgCache.clear();
      box.textContent = '';
    } else if (epoch !== msgEpoch) {
      // Names or words changed: draw every message again (typed replies are kept).
      for (const entry of msgCache.values()) entry.sig = null;
    }
    msgEpoch = epoch;
    if (switched) { shownChannelId = channelId; ui.forceBottom = true; }
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;

    const wanted = [];
    const seen = new Set();
    const place = (key, sig, make) => {
      seen.add(key);
      const cached = msgCache.get(key);
      if (cached && cached.sig === sig) { wanted.push(cached.node); return; }
      let node;
      try { node = make(); } catch (err) {
        if (window.console) console.warn('firebell demo: a message could not be drawn', err);
        node = el('div', { class: 'message broken' }, '…');
      }
      if (cached) keepInputs(cached.node, node);
      msgCache.set(key, { sig, node });
      wanted.push(node);
    };
    const messages = arr(ch.messages);
    let prev = null;
    for (const m of messages) {
      if (!m || !m.ts) continue;
      const open = ui.openThreads.has(m.ts);
      const grouped = !!prev && !prev.pinned && !m.pinned && prev.user === m.user && !!prev.bot === !!m.bot
        && !arr(prev.replies).some((r) => r && r.ts !== prev.ts)
        && (parseFloat(m.ts) - parseFloat(prev.ts)) < 300 && (parseFloat(m.ts) - parseFloat(prev.ts)) >= 0;
      place(`m:${m.ts}`, JSON.stringify(m) + (open ? '|open' : '') + (grouped ? '|grouped' : ''), () => messageNode(m, channelId, { grouped }));
      prev = m;
    }
    const ephemerals = arr(st.ephemeral).filter((e) => e && !ui.dismissed.has(e.id) && (!e.channel || e.channel === channelId));
    for (const e of ephemerals) place(`e:${e.id}`, JSON.stringify(e), () => ephemeralNode(e, channelId));
    if (!wanted.length) place('empty', ui.locale, () => el('div', { class: 'empty' }, t('no_messages')));

    for (const [key, entry] of msgCache) if (!seen.has(key)) { entry.node.remove(); msgCache.delete(key); }
    wanted.forEach((node, i) => {
      if (box.children[i] !== node) box.insertBefore(node, box.children[i] || null);
    });
    while (box.children.length > wanted.length) box.lastElementChild.remove();

    if (ui.forceBottom || atBottom) box.scrollTop = box.scrollHeight;
    ui.forceBottom = false;
  }

  // ---------------------------------------------------------------------------------------
  // Sidebar, header, clock, scenario.
  function renderPeople(st) {
    const people = arr(st.people);
    const sig = JSON.stringify([people, st.me]);
    if (sig === peopleSig) return;
    peopleSig = sig;
    const select = $('#person');
    select.textContent = '';
    for (const p of people) {
      select.append(el('option', { value: str(p.id) }, p.title ? `${p.name} · ${p.title}` : str(p.name)));
    }
    if (st.me) select.value = st.me;
  }

  function renderChannels(st) {
    const current = str(obj(st.channel).id);
    const list = arr(st.channels);
    for (const c of list) {
      if (c.id === current) lastSeenCount.set(c.id, c.messages);
      else if (!lastSeenCount.has(c.id)) lastSeenCount.set(c.id, c.messages);
    }
    const unread = (c) => c.id !== current && typeof c.messages === 'number' && c.messages > (lastSeenCount.get(c.id) ?? c.messages);
    const sig = JSON.stringify([list, current, ui.locale, list.map(unread)]);
    if (sig === channelsSig) return;
    channelsSig = sig;
    const ul = $('#channels');
    ul.textContent = '';
    // Channels first, then direct messages (a DM with the bot is named after it).
    const ordered = list.filter((c) => !c.is_im).concat(list.filter((c) => c.is_im));
    let dmHeading = false;
    for (const c of ordered) {
      if (c.is_im && !dmHeading) {
        dmHeading = true;
        ul.append(el('li', { class: 'list-heading', 'aria-hidden': 'true' }, t('direct_messages')));
      }
      const cls = ['channel'];
      if (c.is_im) cls.push('dm');
      if (c.id === current) cls.push('active');
      if (c.is_incident) cls.push('incident');
      if (c.is_private) cls.push('private');
      if (c.archived) cls.push('archived');
      if (c.is_member === false) cls.push('not-member');
      if (unread(c)) cls.push('unread');
      const button = el('button', {
        type: 'button', class: cls.join(' '),
        dataset: { channelName: c.name, channelId: c.id },
        'aria-current': c.id === current ? 'page' : undefined,
        title: c.is_im ? str(c.name) : (c.archived ? `#${c.name} (${t('archived')})` : `#${c.name}`),
        onclick: () => switchChannel(c.id),
      },
      el('span', { class: 'channel-sigil', 'aria-hidden': 'true' }, c.is_im ? '●' : (c.is_private ? '🔒' : '#')),
      el('span', { class: 'channel-label' }, str(c.name)),
      c.is_incident ? el('span', { class: 'incident-mark', title: 'incident' }, '🔥') : null);
      ul.append(el('li', null, button));
    }
  }

  function renderHeader(st) {
    const ch = obj(st.channel);
    const messages = arr(ch.messages);
    const pinned = messages.filter((m) => m && m.pinned);
    const listed = arr(st.channels).find((c) => c.id === ch.id) || {};
    const sig = JSON.stringify([ch.id, ch.name, ch.topic, ch.purpose, ch.is_private, ch.is_im, ch.archived, ch.bookmarks, listed.is_incident,
      pinned.map((m) => [m.ts, m.name, m.text]), ui.pinsOpen, ui.locale, st.names]);
    if (sig === headerSig) return;
    headerSig = sig;
    $('#channel-name').textContent = str(ch.name);
    $('#channel-icon').textContent = ch.is_im ? '' : (ch.is_private ? '🔒' : (listed.is_incident ? '🔥' : '#'));
    $('#channel-title').classList.toggle('incident', !!listed.is_incident);
    $('#channel-archived').hidden = !ch.archived;
    const topic = $('#channel-topic');
    topic.textContent = '';
    if (ch.topic) topic.append(mrkdwn(ch.topic));
    topic.title = ch.purpose ? unescapeSlack(ch.purpose) : '';
    $('#pins-count').textContent = String(pinned.length);
    const pinsButton = $('#pins');
    pinsButton.setAttribute('aria-label', `${t('pinned_messages')}: ${pinned.length}`);
    pinsButton.title = t('pinned_messages');
    pinsButton.setAttribute('aria-expanded', String(ui.pinsOpen));
    const pinsList = $('#pins-list');
    pinsList.textContent = '';
    pinsList.hidden = !ui.pinsOpen;
    pinsList.append(el('div', { class: 'pins-title' }, t('pinned_messages')));
    if (!pinned.length) pinsList.append(el('div', { class: 'pins-empty' }, t('no_pins')));
    for (const m of pinned) {
      const snippet = unescapeSlack(str(m.text)).replace(/<[@#!]?([^|>]*)\|?([^>]*)>/g, (all, a, b) => b || a).slice(0, 140);
      pinsList.append(el('button', {
        type: 'button', class: 'pinned-item', dataset: { ts: m.ts },
        onclick: () => {
          ui.pinsOpen = false;
          render();
          const target = document.querySelector(`#messages .message[data-ts="${cssEscape(m.ts)}"]`);
          if (target) {
            target.scrollIntoView({ block: 'center' });
            target.classList.add('flash');
            setTimeout(() => target.classList.remove('flash'), 1600);
          }
        },
      }, el('strong', null, str(m.name) || nameOf(m.user) || ''), ' ', emojify(snippet)));
    }
    const marks = $('#bookmarks');
    marks.textContent = '';
    const bookmarks = arr(ch.bookmarks);
    marks.hidden = !bookmarks.length;
    for (const b of bookmarks) {
      const url = safeUrl(b.link);
      const icon = b.emoji ? emojify(b.emoji) : '🔗';
      const label = [el('span', { class: 'bookmark-icon', 'aria-hidden': 'true' }, icon.startsWith(':') ? '🔗' : icon), str(b.title) || str(b.link)];
      marks.append(url
        ? el('a', { class: 'bookmark', href: url, target: '_blank', rel: 'noopener noreferrer' }, label)
        : el('span', { class: 'bookmark' }, label));
    }
    const composer = $('#composer');
    composer.disabled = !!ch.archived;
    $('#send').disabled = !!ch.archived;
    composer.placeholder = ch.archived ? t('archived_placeholder')
      : t(ch.is_im ? 'dm_placeholder' : 'message_placeholder', { name: str(ch.name) });
  }

  function renderClock(st) {
    const sig = JSON.stringify([st.now, st.skipped_minutes, ui.locale]);
    if (sig === clockSig) return;
    clockSig = sig;
    $('#clock').hidden = !st.now;
    const now = new Date(st.now);
    const node = $('#clock-now');
    if (!isNaN(now)) {
      node.dateTime = now.toISOString();
      const day = now.toLocaleDateString(ui.locale === 'ko' ? 'ko-KR' : 'en-GB', { weekday: 'short', month: 'short', day: 'numeric' });
      node.textContent = `${day} ${hhmm(now)}`;
      node.title = now.toString();
    } else {
      node.textContent = str(st.now);
    }
    const skipped = Number(st.skipped_minutes) || 0;
    $('#clock-skipped').textContent = skipped > 0 ? t('skipped', { n: skipped }) : '';
  }

  function renderScenario(st) {
    const s = st.scenario;
    const box = $('#scenario');
    const sig = JSON.stringify([s, ui.locale]);
    if (sig === scenarioSig) return;
    scenarioSig = sig;
    box.textContent = '';
    if (!s) { box.hidden = true; return; }
    box.hidden = false;
    const done = Number(s.done) || 0;
    const of = Number(s.of) || 0;
    box.classList.toggle('finished', !!s.finished);
    box.classList.toggle('failed', !!s.error);
    box.append(el('h2', { class: 'sidebar-heading' }, t('scenario')));
    box.append(el('div', { class: 'scenario-step' }, str(s.step)));
    const progress = el('progress', { class: 'scenario-progress', max: String(Math.max(of, 1)), value: String(Math.min(done, Math.max(of, 1))) });
    box.append(el('div', { class: 'scenario-row' }, progress, el('span', { class: 'scenario-count' }, `${done}/${of}`)));
    if (s.finished && !s.error) box.append(el('div', { class: 'scenario-finished' }, `✓ ${t('finished')}`));
    if (s.error) box.append(el('div', { class: 'scenario-error', role: 'alert' }, `${t('failed')}: ${str(s.error)}`));
  }

  function applyLocale() {
    document.documentElement.lang = ui.locale;
    for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
    const skip = $('#skip-minutes');
    for (const option of skip.options) option.textContent = t('minutes', { n: option.value });
    $('#messages').setAttribute('aria-label', t('message_label'));
    // Everything drawn with words is drawn again.
    channelsSig = headerSig = scenarioSig = clockSig = '';
    if (modalSig !== null) modalSig = '';
  }

  // ---------------------------------------------------------------------------------------
  // The modal.
  function closeModalLocally() {
    const root = $('#modal-root');
    const had = !!root.firstChild;
    root.textContent = '';
    modalSig = null;
    modalViewSig = null;
    modalErrorsSig = '';
    document.body.classList.remove('modal-open');
    if (had) { const c = $('#composer'); if (c && !c.disabled) c.focus({ preventScroll: true }); }
  }

  function snapshotModal(root) {
    const snap = new Map();
    for (const node of root.querySelectorAll('.bk-el')) {
      const key = `${node.dataset.blockId}\u0000${node.dataset.actionId}\u0000${node.dataset.type}`;
      if (node.tagName === 'SELECT') snap.set(key, [...node.options].filter((o) => o.selected).map((o) => o.value));
      else if (node.tagName === 'INPUT' || node.tagName === 'TEXTAREA') snap.set(key, node.value);
      else snap.set(key, [...node.querySelectorAll('input:checked')].map((i) => i.value));
    }
    const active = document.activeElement;
    let focus = null;
    if (active && root.contains(active)) {
      const owner = active.closest('.bk-el');
      if (owner) focus = { key: `${owner.dataset.blockId}\u0000${owner.dataset.actionId}\u0000${owner.dataset.type}`, value: active.value, start: active.selectionStart, end: active.selectionEnd };
    }
    return { snap, focus };
  }

  function restoreModal(root, saved) {
    for (const node of root.querySelectorAll('.bk-el')) {
      const key = `${node.dataset.blockId}\u0000${node.dataset.actionId}\u0000${node.dataset.type}`;
      if (!saved.snap.has(key)) continue;
      const v = saved.snap.get(key);
      if (node.tagName === 'SELECT') { for (const o of node.options) o.selected = v.includes(o.value); }
      else if (node.tagName === 'INPUT' || node.tagName === 'TEXTAREA') node.value = v;
      else for (const i of node.querySelectorAll('input')) i.checked = v.includes(i.value);
      if (saved.focus && saved.focus.key === key) {
        let target = node;
        if (!(node.tagName === 'SELECT' || node.tagName === 'INPUT' || node.tagName === 'TEXTAREA')) {
          target = [...node.querySelectorAll('input')].find((i) => i.value === saved.focus.value) || node.querySelector('input');
        }
        if (target) {
          target.focus();
          try { if (saved.focus.start !== null && saved.focus.start !== undefined) target.setSelectionRange(saved.focus.start, saved.focus.end); } catch (_) { /* not text */ }
        }
      }
    }
  }

  function renderModal(st) {
    const v = st.view;
    const root = $('#modal-root');
    if (!v || !v.view) {
      suppressedViewSig = null;
      localErrors = {};
      if (modalSig !== null) closeModalLocally();
      return;
    }
    const viewSig = JSON.stringify([v.id, v.view]);
    if (viewSig === suppressedViewSig) {
      if (modalSig !== null) closeModalLocally();
      return;
    }
    suppressedViewSig = null;
    const sig = JSON.stringify([viewSig, ui.locale, st.people, arr(st.channels).map((c) => [c.id, c.name])]);
    if (sig !== modalSig) {
      if (viewSig !== modalViewSig) localErrors = {};
      const saved = root.firstChild ? snapshotModal(root) : null;
      const fresh = buildModal(v, viewSig);
      root.textContent = '';
      root.append(fresh);
      document.body.classList.add('modal-open');
      if (saved) restoreModal(root, saved);
      else {
        const first = fresh.querySelector('.modal-body input:not([type=hidden]), .modal-body textarea, .modal-body select, .modal-body button');
        (first || $('#modal-close')).focus();
      }
      modalSig = sig;
      modalViewSig = viewSig;
      modalErrorsSig = '';
    }
    showModalErrors(Object.assign({}, obj(v.errors), localErrors));
  }

  function showModalErrors(errors) {
    const sig = JSON.stringify(errors);
    if (sig === modalErrorsSig) return;
    modalErrorsSig = sig;
    const dialog = $('#modal');
    if (!dialog) return;
    for (const old of dialog.querySelectorAll('.input-error, .modal-error')) old.remove();
    for (const block of dialog.querySelectorAll('.bk-input-block')) block.classList.remove('has-error');
    const unplaced = [];
    for (const [blockId, message] of Object.entries(errors)) {
      const block = dialog.querySelector(`.bk-input-block[data-block-id="${cssEscape(blockId)}"]`);
      const note = el('div', { class: 'input-error', role: 'alert', dataset: { blockId } }, str(message));
      if (block) { block.classList.add('has-error'); block.append(note); } else unplaced.push(note);
    }
    if (unplaced.length) {
      const body = dialog.querySelector('.modal-body');
      const box = el('div', { class: 'modal-error' }, unplaced);
      body.prepend(box);
    }
  }

  function buildModal(v, viewSig) {
    const view = obj(v.view);
    const viewId = str(v.id);
    const ctx = { kind: 'view', viewId, channel: ui.channel };
    const titleId = 'modal-title';
    const form = el('form', { class: 'modal-dialog', novalidate: true });
    const body = el('div', { class: 'modal-body' });
    for (const block of arr(view.blocks)) {
      try {
        const node = renderBlock(block, ctx);
        if (node) body.append(node);
      } catch (err) {
        if (window.console) console.warn('firebell demo: a modal block could not be drawn', block, err);
      }
    }
    const closeButton = el('button', { type: 'button', id: 'modal-close', class: 'modal-button' }, view.close ? plainText(view.close) : t('cancel'));
    const footer = el('div', { class: 'modal-footer' }, closeButton);
    let submitButton = null;
    if (view.submit || arr(view.blocks).some((b) => obj(b).type === 'input')) {
      submitButton = el('button', { type: 'submit', id: 'modal-submit', class: 'modal-button primary' }, view.submit ? plainText(view.submit) : t('submit'));
      footer.append(submitButton);
    }
    form.append(
      el('div', { class: 'modal-header' }, el('h2', { id: titleId }, plainText(view.title) || 'firebell')),
      body, footer,
    );
    const close = () => {
      suppressedViewSig = viewSig;
      closeModalLocally();
      post('/demo/api/close', { as: ui.as, view_id: viewId }).then((answer) => {
        if (!answer.ok && suppressedViewSig === viewSig) suppressedViewSig = null;
      });
    };
    closeButton.addEventListener('click', close);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!submitButton || submitButton.disabled) return;
      const values = {};
      for (const node of form.querySelectorAll('.bk-el')) {
        const blockId = node.dataset.blockId;
        const actionId = node.dataset.actionId;
        (values[blockId] = values[blockId] || {})[actionId] = readElement(node);
      }
      submitButton.disabled = true;
      post('/demo/api/submit', { as: ui.as, view_id: viewId, values }, { quietErrors: true }).then((answer) => {
        submitButton.disabled = false;
        if (answer.ok) {
          localErrors = {};
          suppressedViewSig = viewSig;
          closeModalLocally();
        } else if (answer.errors && typeof answer.errors === 'object') {
          localErrors = answer.errors;
          modalErrorsSig = '';
          showModalErrors(Object.assign({}, obj(ui.state && ui.state.view && ui.state.view.errors), localErrors));
          const first = form.querySelector('.has-error .bk-el, .has-error input');
          if (first) first.focus();
        } else {
          notice(t('failed_call', { error: str(answer.error) || '?' }));
        }
      });
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); close(); }
    });
    return el('div', { id: 'modal', class: 'modal-overlay', dataset: { viewId, callbackId: view.callback_id } },
      el('div', { class: 'modal-frame', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId }, form));
  }

  // ---------------------------------------------------------------------------------------
  // Talking to the server.
  async function post(path, body, opts = {}) {
    let answer;
    try {
      const response = await fetch(path, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
        cache: 'no-store', credentials: 'same-origin',
      });
      try { answer = await response.json(); } catch (_) { answer = { ok: false, error: `HTTP ${response.status}` }; }
      if (!answer || typeof answer !== 'object') answer = { ok: false, error: `HTTP ${response.status}` };
    } catch (_) {
      answer = { ok: false, error: t('unreachable'), offline: true };
    }
    if (!answer.ok && !(opts.quietErrors && answer.errors)) {
      notice(answer.offline ? t('unreachable') : t('failed_call', { error: str(answer.error) || '?' }));
    }
    pollNow();
    return answer;
  }

  function react(channel, ts, name) {
    return post('/demo/api/react', { as: ui.as, channel, ts, name });
  }

  let polling = false;
  let pollAgain = false;
  async function poll() {
    if (polling) { pollAgain = true; return; }
    polling = true;
    try {
      const params = new URLSearchParams();
      if (ui.as) params.set('as', ui.as);
      if (ui.channel) params.set('channel', ui.channel);
      const asked = { as: ui.as, channel: ui.channel };
      let answer = null;
      try {
        const response = await fetch(`/demo/api/state?${params}`, { cache: 'no-store', credentials: 'same-origin' });
        answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
      } catch (_) {
        notice(t('unreachable'));
      }
      // Asked for something else meanwhile (a person or channel switch): wait for the next.
      if (answer && (asked.as !== ui.as || asked.channel !== ui.channel)) return;
      if (answer && answer.ok) {
        accept(answer);
      } else if (answer) {
        if (asked.channel && ui.shown !== `${asked.as}|${asked.channel}`) {
          // A channel never shown that is unknown, or this person cannot see: the default.
          ui.channel = null;
          pollAgain = true;
        } else if (asked.as && !ui.state) {
          ui.as = null;
          pollAgain = true;
        } else {
          notice(t('failed_call', { error: str(answer.error) || '?' }));
        }
      }
    } finally {
      polling = false;
      if (pollAgain) { pollAgain = false; setTimeout(poll, 0); }
    }
  }
  function pollNow() { poll(); }

  function accept(st) {
    const locale = st.locale === 'ko' ? 'ko' : 'en';
    const localeChanged = locale !== ui.locale || !ui.state;
    ui.locale = locale;
    ui.state = st;
    if (st.me && st.me !== ui.as) ui.as = st.me;
    const ch = obj(st.channel);
    if (ui.channelWanted) {
      const wanted = ui.channelWanted;
      const found = arr(st.channels).find((c) => c.name === wanted || c.id === wanted || `#${c.name}` === wanted);
      ui.channelWanted = null;
      if (found && found.id !== ch.id) { ui.channel = found.id; if (localeChanged) applyLocale(); pollNow(); return; }
    }
    if (ch.id) ui.channel = ch.id;
    ui.shown = `${ui.as}|${ui.channel}`;
    if (localeChanged) applyLocale();
    remember();
    render();
  }

  function remember() {
    try {
      if (ui.as) localStorage.setItem(STORE_AS, ui.as);
      if (ui.channel) localStorage.setItem(STORE_CHANNEL, ui.channel);
    } catch (_) { /* private mode */ }
    const ch = obj(ui.state && ui.state.channel);
    const params = new URLSearchParams(location.search);
    if (ui.as) params.set('as', ui.as);
    if (ch.name) params.set('channel', ch.name);
    const next = `${location.pathname}?${params}${location.hash}`;
    if (next !== `${location.pathname}${location.search}${location.hash}`) {
      try { history.replaceState(null, '', next); } catch (_) { /* file: or sandboxed */ }
    }
  }

  function render() {
    const st = ui.state;
    if (!st) return;
    const steps = [renderPeople, renderChannels, renderHeader, renderClock, renderScenario, renderMessages, renderModal];
    for (const step of steps) {
      try { step(st); } catch (err) { if (window.console) console.error('firebell demo:', step.name, err); }
    }
  }

  function switchChannel(id) {
    if (!id || id === ui.channel) return;
    ui.channel = id;
    ui.pinsOpen = false;
    ui.forceBottom = true;
    closeMenus();
    try { localStorage.setItem(STORE_CHANNEL, id); } catch (_) { /* private mode */ }
    // Draw what is known at once (the header and list follow with the answer).
    const ul = $('#channels');
    for (const b of ul.querySelectorAll('.channel')) {
      b.classList.toggle('active', b.dataset.channelId === id);
    }
    pollNow();
  }

  // ---------------------------------------------------------------------------------------
  // The composer and the controls.
  async function sendComposer() {
    const composer = $('#composer');
    const raw = composer.value;
    const text = raw.trim();
    if (!text || composer.disabled || !ui.state) return;
    const send = $('#send');
    send.disabled = true;
    const command = /^\/incident(?:\s+([\s\S]*))?$/.exec(text);
    const channel = ui.channel;
    const answer = command
      ? await post('/demo/api/command', { as: ui.as, channel, text: (command[1] || '').trim() })
      : await post('/demo/api/message', { as: ui.as, channel, text });
    send.disabled = !!obj(ui.state.channel).archived;
    if (answer.ok) {
      if (composer.value === raw) composer.value = '';
      autosize(composer);
      ui.forceBottom = true;
    }
  }

  function autosize(area) {
    area.style.height = 'auto';
    area.style.height = `${Math.min(area.scrollHeight, 180)}px`;
  }

  function start() {
    const query = new URLSearchParams(location.search);
    let storedAs = null;
    let storedChannel = null;
    try { storedAs = localStorage.getItem(STORE_AS); storedChannel = localStorage.getItem(STORE_CHANNEL); } catch (_) { /* private mode */ }
    ui.as = query.get('as') || storedAs || null;
    const wanted = query.get('channel') || storedChannel || null;
    if (wanted) {
      if (/^[CGD][A-Z0-9]{2,}$/.test(wanted)) ui.channel = wanted;
      else ui.channelWanted = wanted.replace(/^#/, '');
    }

    applyLocale();

    $('#person').addEventListener('change', (e) => {
      ui.as = e.target.value;
      ui.openThreads.clear();
      ui.dismissed.clear();
      suppressedViewSig = null;
      closeModalLocally();
      ui.forceBottom = true;
      msgEpoch = '';
      try { localStorage.setItem(STORE_AS, ui.as); } catch (_) { /* private mode */ }
      pollNow();
    });
    $('#composer-form').addEventListener('submit', (e) => { e.preventDefault(); sendComposer(); });
    const composer = $('#composer');
    composer.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendComposer(); }
    });
    composer.addEventListener('input', () => autosize(composer));
    $('#fire-alert').addEventListener('click', () => { ui.forceBottom = true; post('/demo/api/alert', {}); });
    $('#skip').addEventListener('click', () => {
      const minutes = parseInt($('#skip-minutes').value, 10);
      post('/demo/api/skip', { minutes: SKIP_CHOICES.includes(minutes) ? minutes : 30 });
    });
    $('#pins').addEventListener('click', (e) => { e.stopPropagation(); ui.pinsOpen = !ui.pinsOpen; headerSig = ''; render(); });
    document.addEventListener('click', (e) => {
      if (!e.target.closest('.bk-overflow, .more-wrap')) closeMenus();
      if (ui.pinsOpen && !e.target.closest('.pins-wrap')) { ui.pinsOpen = false; headerSig = ''; render(); }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        closeMenus();
        if (ui.pinsOpen) { ui.pinsOpen = false; headerSig = ''; render(); }
      }
    });

    // For tests and the curious: the last state, and a poll on demand.
    window.firebellDemo = { state: () => ui.state, poll: pollNow, ui };

    poll();
    setInterval(() => { if (!polling) poll(); }, POLL_MS);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
