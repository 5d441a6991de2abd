/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * Stored JSON shown as a tree of `<details>` that opens and closes without JavaScript. Values
 * are text, never markup. A payload may be huge or nest 20,000 levels deep: past a size the
 * text is shown as it is, and past a depth the rest is left to the raw download, so showing an
 * event never recurses without bound.
 */
import type { Child } from "hono/jsx";

/** Above this many characters, JSON is shown as text rather than as a tree. */
export const TREE_MAX_CHARS = 256 * 1024;
/** Levels shown as a tree; deeper values are summarized. */
const TREE_MAX_DEPTH = 12;
/** Levels open at first. */
const OPEN_DEPTH = 2;

/** Parses stored JSON text; undefined when it is not JSON. */
function parse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * Stored JSON text as a collapsible tree, or as text when it is too large or not JSON.
 * `rawHref` links to the text as it was stored.
 */
export function JsonView(props: { text: string | null; rawHref?: string; label: string }) {
  if (props.text === null) return <p class="muted">Not kept (pruned after the retention time).</p>;
  const parsed = props.text.length <= TREE_MAX_CHARS ? parse(props.text) : undefined;
  if (!parsed) {
    const shown = props.text.slice(0, TREE_MAX_CHARS);
    return (
      <div class="json">
        <p class="muted">
          {props.text.length > TREE_MAX_CHARS
            ? `${props.label}: ${props.text.length.toLocaleString("en")} characters, shown as text (the first ${TREE_MAX_CHARS.toLocaleString("en")}).`
            : `${props.label} is not JSON; shown as text.`}{" "}
          {props.rawHref && <a href={props.rawHref}>Raw</a>}
        </p>
        <pre>{shown}</pre>
      </div>
    );
  }
  return (
    <div class="json">
      <Node value={parsed.value} name={props.label} depth={0} rawHref={props.rawHref} />
      {props.rawHref && (
        <p>
          <a href={props.rawHref}>Raw {props.label.toLowerCase()}</a>
        </p>
      )}
    </div>
  );
}

function Node(props: { value: unknown; name: string; depth: number; rawHref?: string }): Child {
  const { value, name, depth } = props;
  if (value === null || typeof value !== "object") {
    return (
      <div class="json-leaf">
        <span class="json-key">{name}</span>: <Scalar value={value} />
      </div>
    );
  }
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value as Record<string, unknown>);
  const shape = Array.isArray(value)
    ? `[${entries.length} ${entries.length === 1 ? "item" : "items"}]`
    : `{${entries.length} ${entries.length === 1 ? "key" : "keys"}}`;
  if (depth >= TREE_MAX_DEPTH) {
    return (
      <div class="json-leaf">
        <span class="json-key">{name}</span>:{" "}
        <span class="muted">{shape}, nested too deep to show here</span>
        {props.rawHref ? " (see the raw text)" : ""}
      </div>
    );
  }
  return (
    <details open={depth < OPEN_DEPTH}>
      <summary>
        <span class="json-key">{name}</span> <span class="muted">{shape}</span>
      </summary>
      <div class="json-children">
        {entries.map(([key, child]) => (
          <Node value={child} name={key} depth={depth + 1} rawHref={props.rawHref} />
        ))}
      </div>
    </details>
  );
}

function Scalar(props: { value: unknown }) {
  const { value } = props;
  if (typeof value === "string") return <span class="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span class="json-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span class="json-boolean">{String(value)}</span>;
  return <span class="json-null">null</span>;
}
