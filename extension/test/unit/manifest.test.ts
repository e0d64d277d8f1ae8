// package.json must contribute exactly the ids in src/constants.ts, and every setting must carry
// a scope and a description (and enumDescriptions for enums).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { Commands, CONFIG_SECTION, LANGUAGE_IDS, RESTART_SETTINGS, Settings, Views } from '../../src/constants';
import { DEFAULTS } from '../../src/settings';

const pkg = JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8'));
const contributes = pkg.contributes;
const properties: Record<string, Record<string, unknown>> = contributes.configuration.properties;

test('commands in package.json are exactly the constants', () => {
  const declared = contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(declared, Object.values(Commands).sort());
});

test('menus and keybindings refer to declared commands', () => {
  const ids = new Set<string>(Object.values(Commands));
  const menus = Object.values(contributes.menus).flat() as { command: string }[];
  for (const m of [...menus, ...contributes.keybindings]) assert.ok(ids.has(m.command), m.command);
});

test('the chat view: a webview view in our activity-bar container, with its icon and files packaged', () => {
  const containers = contributes.viewsContainers.activitybar as { id: string; icon: string }[];
  assert.deepEqual(containers.map((c) => c.id), [Views.container]);
  assert.ok(existsSync(path.join(process.cwd(), containers[0].icon)), containers[0].icon);
  const views = contributes.views[Views.container] as { id: string; type: string }[];
  assert.deepEqual(views.map((v) => [v.id, v.type]), [[Views.chat, 'webview']]);
  const ignore = readFileSync(path.join(process.cwd(), '.vscodeignore'), 'utf8');
  for (const p of ['!dist/webview/*.js', '!extension/media/**']) assert.ok(ignore.includes(p), `.vscodeignore keeps ${p}`);
  assert.ok(existsSync(path.join(process.cwd(), 'extension', 'media', 'chat.css')));
});

test('settings in package.json are exactly the constants', () => {
  const declared = Object.keys(properties).sort();
  const expected = Object.values(Settings).map((k) => `${CONFIG_SECTION}.${k}`).sort();
  assert.deepEqual(declared, expected);
  for (const k of RESTART_SETTINGS) assert.ok(`${CONFIG_SECTION}.${k}` in properties);
});

test('every setting has a scope, a description and enum descriptions', () => {
  for (const [key, p] of Object.entries(properties)) {
    assert.ok(typeof p.scope === 'string', `${key}: scope`);
    assert.ok(typeof p.description === 'string' || typeof p.markdownDescription === 'string', `${key}: description`);
    if (Array.isArray(p.enum)) {
      assert.equal((p.enumDescriptions as unknown[] | undefined)?.length, p.enum.length, `${key}: enumDescriptions`);
    }
  }
});

test('package.json defaults match the typed defaults', () => {
  const get = (obj: unknown, dotted: string): unknown =>
    dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
  for (const k of Object.values(Settings)) {
    assert.deepEqual(properties[`${CONFIG_SECTION}.${k}`]?.default, get(DEFAULTS, k), k);
  }
});

test('languages and grammars use the official Csound extension ids', () => {
  const langs = contributes.languages.map((l: { id: string }) => l.id).sort();
  assert.deepEqual(langs, [...LANGUAGE_IDS].sort());
  const scopes = contributes.grammars.map((g: { scopeName: string }) => g.scopeName).sort();
  assert.deepEqual(scopes, ['source.csound.csd', 'source.csound.orc', 'source.csound.sco']);
  const exts = contributes.languages.flatMap((l: { extensions: string[] }) => l.extensions);
  for (const e of ['.csd', '.orc', '.sco', '.udo', '.inc']) assert.ok(exts.includes(e), e);
});

test('engines.vscode allows VS Code 1.100 and @types/vscode is not newer', () => {
  assert.equal(pkg.engines.vscode, '^1.100.0');
  assert.equal(pkg.devDependencies['@types/vscode'], '1.100.0');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});
