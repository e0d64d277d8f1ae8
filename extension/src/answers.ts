// Reading the AI features' markdown answers. Pure.

/** The first fenced code block of a markdown answer, else the answer if it is a bare CSD. */
export function firstCodeBlock(markdown: string): string | undefined {
  const m = /```[A-Za-z0-9_-]*\n([\s\S]*?)```/.exec(markdown);
  if (m?.[1]?.trim()) return m[1].replace(/\s+$/, '\n');
  return /^\s*<CsoundSynthesizer>/.test(markdown) ? markdown : undefined;
}
