// The code editor of the attempt page: CodeMirror 6 over each `textarea.code`, bundled by
// scripts/setup-static.sh (esbuild) into static-build/editor.js. The textarea stays the source of
// truth: every change is written back to it and announced with an `input` event, so autosave,
// snapshots and Run/Submit in static/prep/attempt.js read it as before; setting its value and
// dispatching `input` (what "Reset to starter code" does) replaces the editor's content. Without
// this bundle, or without JavaScript, the plain textarea works.
import { EditorView } from "codemirror";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import {
  drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  StreamLanguage, bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting,
} from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { SQLite, sql } from "@codemirror/lang-sql";
import { cpp } from "@codemirror/lang-cpp";
import { r } from "@codemirror/legacy-modes/mode/r";

const MODES = {
  python: () => python(),
  r: () => StreamLanguage.define(r),
  sql: () => sql({ dialect: SQLite }),
  c: () => cpp(),
  cpp: () => cpp(),
};

function modeFor(language) {
  return (MODES[language] || (() => []))();
}

const theme = EditorView.theme({
  "&": {
    border: "1px solid #b9c0cc", borderRadius: "6px", background: "#fbfcfe", fontSize: ".9rem",
    minHeight: "16rem", maxHeight: "70vh",
  },
  "&.cm-focused": { outline: "3px solid var(--focus, #ffbf47)", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: "var(--mono, monospace)", lineHeight: "1.45", overflow: "auto", minHeight: "16rem" },
  ".cm-content": { padding: ".5rem 0" },
  ".cm-gutters": { background: "#f0f2f6", color: "#6b7385", borderRight: "1px solid #dde1e8", borderRadius: "6px 0 0 6px" },
  ".cm-activeLine": { background: "#eef3fc" },
  ".cm-activeLineGutter": { background: "#e2e9f6" },
  "&.cm-editor.prep-readonly": { background: "#f1f2f5", opacity: ".8" },
});

/** Upgrade one textarea; returns {view, setValue}. Idempotent (a second call returns the first). */
export function upgradeCodeArea(area) {
  if (area.prepEditor) return area.prepEditor;
  const scope = area.closest("section.question") || area.form || document;
  const languageField = area.form && area.form.querySelector("[name=language]");
  const mode = new Compartment();
  const editable = new Compartment();
  const label = area.labels && area.labels.length ? area.labels[0].textContent.trim() : "Code";
  let writing = false; // the editor is writing to the textarea: its own input event is not news

  function press(action) {
    return function () {
      const button = scope.querySelector("[data-action=" + action + "]");
      if (button && !button.disabled) button.click();
      return true;
    };
  }
  function lockedExtensions(locked) {
    return [EditorState.readOnly.of(locked), EditorView.editable.of(!locked)];
  }

  const view = new EditorView({
    state: EditorState.create({
      doc: area.value,
      extensions: [
        // Ctrl/Cmd+Enter submits and Ctrl/Cmd+' runs, as the buttons' titles say.
        Prec.highest(keymap.of([
          { key: "Mod-Enter", run: press("submit") },
          { key: "Mod-'", run: press("run") },
        ])),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        highlightActiveLine(),
        // Tab indents; Escape then Tab leaves the editor (CodeMirror's tab-focus mode), so
        // keyboard users are never trapped.
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        mode.of(modeFor(languageField ? languageField.value : "")),
        editable.of(lockedExtensions(area.disabled)),
        theme,
        EditorView.contentAttributes.of({
          "aria-label": label + " (Tab indents; press Escape then Tab to leave the editor)",
          autocapitalize: "off", spellcheck: "false", autocorrect: "off",
        }),
        EditorView.updateListener.of(function (update) {
          if (!update.docChanged) return;
          writing = true;
          area.value = update.state.doc.toString();
          area.dispatchEvent(new Event("input", { bubbles: true }));
          writing = false;
        }),
      ],
    }),
  });
  view.dom.classList.add("prep-editor");
  area.insertAdjacentElement("afterend", view.dom);
  area.hidden = true;

  function setValue(text) {
    if (text === view.state.doc.toString()) return;
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  }
  // Someone else set the textarea (Reset to starter code) and said so with an input event.
  area.addEventListener("input", function () { if (!writing) setValue(area.value); });
  if (languageField) {
    languageField.addEventListener("change", function () {
      view.dispatch({ effects: mode.reconfigure(modeFor(languageField.value)) });
    });
  }
  // attempt.js disables every field when time is up: the editor follows its textarea.
  new MutationObserver(function () {
    view.dispatch({ effects: editable.reconfigure(lockedExtensions(area.disabled)) });
    view.dom.classList.toggle("prep-readonly", area.disabled);
  }).observe(area, { attributes: true, attributeFilter: ["disabled"] });
  // A click on the (visually hidden) label goes to the editor.
  if (area.labels) {
    Array.from(area.labels).forEach(function (l) {
      l.addEventListener("click", function (e) { e.preventDefault(); view.focus(); });
    });
  }

  area.prepEditor = { view: view, setValue: setValue };
  return area.prepEditor;
}

/** Upgrade every `textarea.code` under root (default: the document). */
export function upgradeCodeAreas(root) {
  return Array.from((root || document).querySelectorAll("textarea.code")).map(upgradeCodeArea);
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { upgradeCodeAreas(); });
  else upgradeCodeAreas();
}
