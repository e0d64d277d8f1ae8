// Safe Markdown for the chat panel: model output → HTML that can never carry script.
//
// Everything the model writes is text: it is HTML-escaped first, and only the constructs below
// are turned back into fixed tags with no attributes from the input except escaped link targets
// with an http(s) scheme. Raw HTML in the answer is shown as text. Pair with a strict CSP
// (`contentSecurityPolicy`) so that even a bug here cannot run script.
// Pure module (no vscode import), unit-tested with hostile input.

export interface CodeBlock {
  index: number;
  language: string;
  code: string;
}

export interface Rendered {
  html: string;
  /** Fenced code blocks in order; the panel wires Copy / Insert / Replace / New file to them. */
  blocks: CodeBlock[];
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (ch) => ESCAPES[ch]);
}

/** An http(s) URL, or null: javascript:, data:, vbscript:, command: and the rest are refused. */
export function safeUrl(raw: string): string | null {
  const url = raw.trim();
  if (!/^https?:\/\/[^\s<>"']+$/i.test(url)) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Inline markup on one already-split line of raw text. */
function inline(raw: string): string {
  const parts: string[] = [];
  // Code spans first: their content is literal.
  const segments = raw.split(/(`[^`]+`)/);
  for (const segment of segments) {
    if (segment.length > 1 && segment.startsWith('`') && segment.endsWith('`')) {
      parts.push(`<code>${escapeHtml(segment.slice(1, -1))}</code>`);
      continue;
    }
    let out = '';
    let rest = segment;
    const link = /\[([^\]]{1,500})\]\(([^)\s]{1,2000})\)/;
    for (let m = link.exec(rest); m; m = link.exec(rest)) {
      out += emphasis(escapeHtml(rest.slice(0, m.index)));
      const href = safeUrl(m[2]);
      const label = emphasis(escapeHtml(m[1]));
      out += href
        ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${label}</a>`
        : `${label} (${escapeHtml(m[2])})`;
      rest = rest.slice(m.index + m[0].length);
    }
    parts.push(out + emphasis(escapeHtml(rest)));
  }
  return parts.join('');
}

/** Bold and italic on escaped text (the markers are not special to HTML). */
function emphasis(escaped: string): string {
  return escaped
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>');
}

export function renderMarkdown(markdown: string): Rendered {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const html: string[] = [];
  const blocks: CodeBlock[] = [];
  let paragraph: string[] = [];
  let list: 'ul' | 'ol' | null = null;

  const flushParagraph = () => {
    if (paragraph.length) html.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
    paragraph = [];
  };
  const closeList = () => {
    if (list) html.push(`</${list}>`);
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      flushParagraph();
      closeList();
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      const block = { index: blocks.length, language: fence[2].toLowerCase(), code: body.join('\n') };
      blocks.push(block);
      const lang = /^[a-z0-9+-]{1,20}$/.test(block.language) ? block.language : 'text';
      html.push(
        `<pre data-block="${block.index}"><code class="language-${lang}">${escapeHtml(block.code)}</code></pre>`,
      );
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      closeList();
      const level = heading[1].length + 2; // h3..h6: the panel has its own title
      html.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      continue;
    }
    const item = /^\s*([-*+]|\d{1,3}[.)])\s+(.*)$/.exec(line);
    if (item) {
      flushParagraph();
      const kind = /\d/.test(item[1]) ? 'ol' : 'ul';
      if (list !== kind) {
        closeList();
        html.push(`<${kind}>`);
        list = kind;
      }
      html.push(`<li>${inline(item[2])}</li>`);
      continue;
    }
    if (!line.trim()) {
      flushParagraph();
      closeList();
      continue;
    }
    closeList();
    paragraph.push(line);
  }
  flushParagraph();
  closeList();
  return { html: html.join('\n'), blocks };
}

/** The panel's Content-Security-Policy: no inline script, only the extension's own nonce'd one. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    // "Render & listen": the rendered WAV, served from the extension's storage like the images.
    `media-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}
