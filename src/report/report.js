// brief report: the article list and the article view. Every piece of article data
// reaches the page as a text node or an attribute value set through the DOM, never
// as HTML; links are made only for http(s) URLs. Offsets in the data are UTF-16
// (converted from the records' UTF-8 byte offsets when the page was written), so
// `text.slice(start, end)` is exactly the span the record points at.
(function () {
  'use strict';
  var PAGE = 200; // rows rendered at a time: the DOM stays small with 10,000 articles

  function el(tag, cls, kids) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    (kids || []).forEach(function (k) {
      if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
    });
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function badge(cls, text) { return el('span', 'badge ' + cls, [text]); }

  var rows = JSON.parse($('brief-rows').textContent);
  rows.forEach(function (r, i) {
    r.i = i;
    r.title = r.t || r.s;
    r.byline = (r.b || '') + ' ' + (r.d || '');
    r.hay = (r.title + '\n' + r.s + '\n' + (r.su || '') + '\n' + (r.sy || '')).toLowerCase();
  });
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var state = { q: '', status: '', ungrounded: false, sort: 'i', desc: false, limit: PAGE };
  var matching = rows;

  // ---- list ----
  function applyFilters() {
    var q = state.q.toLowerCase().trim();
    var terms = q ? q.split(/\s+/) : [];
    matching = rows.filter(function (r) {
      if (state.status && r.st !== state.status) return false;
      if (state.ungrounded && !(r.u > 0)) return false;
      for (var k = 0; k < terms.length; k++) if (r.hay.indexOf(terms[k]) < 0) return false;
      return true;
    });
    var key = state.sort, dir = state.desc ? -1 : 1;
    matching.sort(function (a, b) {
      var x = a[key], y = b[key], c;
      if (typeof x === 'number' || typeof y === 'number') c = (x || 0) - (y || 0);
      else c = collator.compare(x || '', y || '');
      return c * dir || a.i - b.i;
    });
    state.limit = PAGE;
    renderRows();
  }

  function claimsCell(r) {
    var td = el('td', 'num');
    if (r.st !== 'ok') return td;
    if (r.u > 0) td.append(badge('bad', r.u + ' ungrounded'), ' ');
    td.append(badge(r.n - r.u > 0 ? 'good' : 'soft', (r.n - r.u) + ' / ' + r.n));
    if (r.us > 0) td.append(el('div', 'sumwarn', [r.us + ' summary sentence' + (r.us > 1 ? 's' : '') + ' unsupported']));
    return td;
  }

  function rowElement(r) {
    var tr = el('tr', r.u > 0 ? 'has-ungrounded' : '');
    tr.dataset.i = r.i;
    var main = el('td', '', [el('div', 'title', [r.title])]);
    if (r.t) main.append(el('div', 'src', [r.s]));
    if (r.su) main.append(el('div', 'sum', [r.su]));
    if (r.du) main.append(el('div', 'dup', [badge('soft', r.sk ? 'duplicate, skipped' : 'duplicate'), ' of ' + r.du]));
    var status = r.st === 'ok' ? badge('good', 'ok') : badge('errk', r.ek || r.st);
    tr.append(
      el('td', 'num', [r.i + 1]), main,
      el('td', 'meta-cell', [r.b || '', r.b ? el('br') : null, r.d || '']),
      el('td', '', [status]), claimsCell(r),
      el('td', 'meta-cell', [r.m || ''])
    );
    return tr;
  }

  function renderRows() {
    var body = $('rows');
    var frag = document.createDocumentFragment();
    matching.slice(0, state.limit).forEach(function (r) { frag.append(rowElement(r)); });
    body.replaceChildren(frag);
    var shown = Math.min(state.limit, matching.length);
    $('count').textContent = (matching.length === rows.length ? '' : matching.length.toLocaleString() + ' matching · ') +
      rows.length.toLocaleString() + ' articles' + (shown < matching.length ? ' · first ' + shown.toLocaleString() + ' shown' : '');
    $('more').hidden = shown >= matching.length;
    document.querySelectorAll('th[data-sort]').forEach(function (th) {
      th.classList.toggle('sorted', th.dataset.sort === state.sort);
      th.classList.toggle('desc', th.dataset.sort === state.sort && state.desc);
    });
  }

  // A story's button lists its articles: the filter matches story ids.
  document.querySelectorAll('button.story').forEach(function (b) {
    b.addEventListener('click', function () {
      $('q').value = b.dataset.story;
      state.q = b.dataset.story;
      applyFilters();
      $('list').scrollIntoView();
    });
  });
  $('more').addEventListener('click', function () { state.limit += PAGE; renderRows(); });
  var timer = 0;
  $('q').addEventListener('input', function (e) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = e.target.value; applyFilters(); }, 120);
  });
  $('status').addEventListener('change', function (e) { state.status = e.target.value; applyFilters(); });
  $('ungrounded').addEventListener('change', function (e) { state.ungrounded = e.target.checked; applyFilters(); });
  document.querySelectorAll('th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      var k = th.dataset.sort;
      state.desc = state.sort === k ? !state.desc : (k === 'u' || k === 'n');
      state.sort = k;
      applyFilters();
    });
  });
  $('rows').addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr) location.hash = 'a' + tr.dataset.i;
  });

  // ---- article view ----
  var cache = {};
  function detail(i) {
    if (!cache[i]) cache[i] = JSON.parse($('d' + i).textContent);
    return cache[i];
  }

  function str(v) { return v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v); }

  // The text cut at every sentence boundary and every highlighted range; sentences
  // become spans (alternately shaded), highlighted pieces <mark>s carrying the index
  // of their range.
  function renderText(box, d, ranges, bad) {
    var text = d.text, S = d.sent || [], n = text.length;
    var cuts = [0, n];
    S.forEach(function (x) { cuts.push(x); });
    ranges.forEach(function (r) { cuts.push(r[0], r[1]); });
    cuts = cuts.filter(function (x) { return x >= 0 && x <= n; }).sort(function (a, b) { return a - b; });
    var frag = document.createDocumentFragment();
    var k = 0, cur = null, curK = -1;
    for (var j = 0; j + 1 < cuts.length; j++) {
      var a = cuts[j], b = cuts[j + 1];
      if (a === b) continue;
      while (2 * k < S.length && S[2 * k + 1] <= a) k++;
      var inSent = 2 * k < S.length && S[2 * k] <= a && b <= S[2 * k + 1];
      var node = document.createTextNode(text.slice(a, b));
      for (var r = 0; r < ranges.length; r++) {
        if (ranges[r][0] <= a && b <= ranges[r][1]) {
          var m = el('mark', bad ? 'hl bad' : 'hl', [node]);
          m.dataset.r = r;
          node = m;
          break;
        }
      }
      if (inSent) {
        if (curK !== k) {
          cur = el('span', 'sent' + (k % 2 ? ' odd' : ''));
          cur.title = 'sentence ' + k;
          curK = k;
          frag.append(cur);
        }
        cur.append(node);
      } else {
        curK = -1;
        frag.append(node);
      }
    }
    box.replaceChildren(frag);
    var first = box.querySelector('mark');
    if (first) first.scrollIntoView({ block: 'center' });
  }

  function sentenceRanges(d, indices) {
    var S = d.sent || [];
    return indices.filter(function (s) { return 2 * s + 1 < S.length; })
      .map(function (s) { return [S[2 * s], S[2 * s + 1]]; });
  }

  var KNOWN = ['text', 'te', 'ev', 'grounded', 'reason', 'origin', 'kind', 'attribution', 'entities', 'numbers', 'score', 'sentence'];

  // A text the page left out because it is exactly a span of the article.
  function spanText(d, span) { return span ? d.text.slice(span[0], span[1]) : ''; }

  function claimItem(d, c, select) {
    var cls = c.grounded === false ? 'claim ungrounded' : c.grounded === true ? 'claim' : 'claim unknown';
    var li = el('li', cls, [el('div', 'ctext', [c.te ? spanText(d, (c.ev || [])[0]) : str(c.text)])]);
    if (c.grounded === false) li.prepend(badge('bad', 'UNGROUNDED'), ' ');
    if (c.grounded === false) li.append(el('div', 'reason', [c.reason ? str(c.reason) : 'no reason given']));
    var meta = [c.origin, c.kind, c.attribution ? 'says ' + str(c.attribution) : null,
      typeof c.score === 'number' ? 'score ' + c.score.toFixed(2) : null].filter(Boolean);
    if (c.entities && c.entities.length) meta.push('names: ' + c.entities.map(str).join(', '));
    if (c.numbers && c.numbers.length) meta.push('numbers: ' + c.numbers.map(str).join(', '));
    if (meta.length) li.append(el('div', 'cmeta', [meta.join(' · ')]));
    Object.keys(c).forEach(function (k) {
      if (KNOWN.indexOf(k) < 0) li.append(el('div', 'extra', [k + ': ' + str(c[k])]));
    });
    var ev = (c.ev || []).filter(Boolean);
    if (!ev.length) li.append(el('div', 'nohl', ['no evidence span to highlight']));
    li.addEventListener('click', function () { select(li, ev, c.grounded === false); });
    return li;
  }

  function section(title, count, cls) {
    var h = el('h3', '', [title]);
    if (count !== undefined) h.append(badge(cls || 'soft', count));
    return h;
  }

  function showArticle(i) {
    var r = rows[i], d = detail(i);
    var view = $('view');
    var back = el('a', 'back', ['← All articles']);
    back.href = '#';
    var meta = [d.byline, d.published, d.source].filter(Boolean).map(str);
    var metaDiv = el('div', 'meta', [meta.join(' · ')]);
    if (typeof d.url === 'string') {
      metaDiv.append(' · ');
      if (/^https?:\/\//i.test(d.url)) {
        var a = el('a', '', [d.url]);
        a.href = d.url;
        a.rel = 'noopener noreferrer';
        metaDiv.append(a);
      } else {
        metaDiv.append(d.url);
      }
    }
    var parts = [back, el('h2', 'view-title', [r.title]), metaDiv];
    if (d.error) {
      parts.push(el('div', 'errbox', [el('b', '', ['Error: ' + str(d.error.kind)]), ' — ', str(d.error.message)]));
    }
    var cols = el('div', 'cols');
    var textCol = el('div', 'textcol', [section('Text', d.sent && d.sent.length ? d.sent.length / 2 + ' sentences' : undefined)]);
    var box = el('div', 'text');
    box.id = 'text';
    textCol.append(box);
    var side = el('aside', 'side');
    cols.append(textCol, side);
    parts.push(cols);
    view.replaceChildren.apply(view, parts);

    var hasText = typeof d.text === 'string';
    if (hasText) renderText(box, d, [], false);
    else box.append(el('span', 'empty', ['The record has no text (a run with --no-text, or an error record): nothing to highlight.']));

    var active = null;
    function select(item, ranges, bad) {
      if (active) active.classList.remove('active');
      active = item;
      item.classList.add('active');
      if (hasText) renderText(box, d, ranges, bad);
    }

    var s = d.summary;
    if (s) {
      var sh = section('Summary', str(s.method));
      if (r.us > 0) sh.append(' ', badge('bad', r.us + ' unsupported'));
      side.append(sh);
      var ol = el('ol', 'summary');
      var sents = s.sentences && s.sentences.length ? s.sentences : [{ text: r.su }];
      sents.forEach(function (x) {
        var support = (x.support || []).map(function (p) { return p.sentence; });
        var said = x.ts ? spanText(d, sentenceRanges(d, support.slice(0, 1))[0]) : str(x.text);
        var li = el('li', x.grounded === false ? 'ungrounded' : '', [said]);
        if (x.grounded === false) li.prepend(badge('bad', 'UNSUPPORTED'), ' ');
        if (x.grounded === false) li.append(el('div', 'reason', ['Not supported: ' + str(x.reason || 'no reason given')]));
        li.addEventListener('click', function () { select(li, sentenceRanges(d, support), x.grounded === false); });
        ol.append(li);
      });
      side.append(ol);
      // Fields of the summary the page does not know (e.g. the generator's own
      // summary when the record's is extractive), as they are.
      Object.keys(s).forEach(function (k) {
        if (['text', 'method', 'sentences', 'extractive'].indexOf(k) >= 0) return;
        var g = s[k];
        if (g && typeof g === 'object' && typeof g.text === 'string') {
          var verdict = g.accepted === false ? 'rejected' + (g.reason ? ': ' + str(g.reason) : '') : g.accepted === true ? 'accepted' : '';
          side.append(el('div', 'gensum' + (g.accepted === false ? ' rejected' : ''), [
            el('div', 'cmeta', [k + (verdict ? ' — ' + verdict : '')]), el('div', 'ctext', [g.text])]));
        } else {
          side.append(el('div', 'extra', [k + ': ' + str(g)]));
        }
      });
    }
    var claims = d.claims || [];
    if (claims.length || d.status === 'ok') {
      var h = section('Claims', claims.length);
      if (r.u > 0) h.append(' ', badge('bad', r.u + ' ungrounded'));
      side.append(h);
      var ul = el('ul', 'claims');
      claims.forEach(function (c) { ul.append(claimItem(d, c, select)); });
      if (!claims.length) ul.append(el('li', 'empty', ['No claims.']));
      side.append(ul);
    }
    if (d.removed && d.removed.length) {
      side.append(section('Removed by cleaning', d.removed.length));
      var rl = el('ul', 'removed');
      d.removed.forEach(function (x) { rl.append(el('li', '', [el('span', 'kind', [str(x.kind)]), ' ', str(x.text)])); });
      side.append(rl);
    }
    if (d.warnings && d.warnings.length) {
      side.append(section('Warnings', d.warnings.length));
      var wl = el('ul', 'warnings');
      d.warnings.forEach(function (w) { wl.append(el('li', '', [str(w)])); });
      side.append(wl);
    }
    var shown = ['id', 'source', 'status', 'title', 'byline', 'published', 'url', 'text', 'sent', 'removed', 'summary', 'claims', 'warnings', 'error'];
    var rest = {};
    Object.keys(d).forEach(function (k) { if (shown.indexOf(k) < 0) rest[k] = d[k]; });
    if (Object.keys(rest).length) {
      side.append(section('Other fields'), el('pre', 'raw', [JSON.stringify(rest, null, 1)]));
    }
  }

  function route() {
    var m = /^#a(\d+)$/.exec(location.hash);
    var i = m ? Number(m[1]) : -1;
    var open = i >= 0 && i < rows.length;
    $('overview').hidden = open;
    $('list').hidden = open;
    $('view').hidden = !open;
    if (open) { showArticle(i); window.scrollTo(0, 0); } else { $('view').replaceChildren(); }
  }
  window.addEventListener('hashchange', route);

  applyFilters();
  route();
  document.body.dataset.ready = '1';
})();
