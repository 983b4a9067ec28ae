// "Asha and Ravi are typing...": who is typing in the open room, forgotten after a silence.

const FORGET_AFTER_MS = 6000;

/** "Asha", "Asha and Ravi", "Asha, Ravi and Sam", "Asha, Ravi and 2 others". */
export function describeTypists(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing...`;
  if (names.length <= 3) return `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing...`;
  return `${names.slice(0, 2).join(", ")} and ${names.length - 2} others are typing...`;
}

export class TypingIndicator {
  constructor(node) {
    this.node = node;
    this.typists = new Map(); // user id -> {name, timer}
  }

  /** sender: the frame's {id, name}; a typist who falls silent is dropped after a while. */
  set(sender, isTyping) {
    if (!sender || sender.id === undefined) return;
    const known = this.typists.get(sender.id);
    if (known) clearTimeout(known.timer);
    if (isTyping) {
      const timer = setTimeout(() => this.set(sender, false), FORGET_AFTER_MS);
      this.typists.set(sender.id, { name: sender.name || "Someone", timer });
    } else {
      this.typists.delete(sender.id);
    }
    this.render();
  }

  clear() {
    for (const { timer } of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  render() {
    this.node.textContent = describeTypists([...this.typists.values()].map((typist) => typist.name));
  }
}
