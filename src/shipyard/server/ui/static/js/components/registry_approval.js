// A version's approval: its status badge with who decided, when and why, and the actions
// that record a new decision (approve, reject, or reset to pending) with a comment.

import { clear, h, toast } from "../lib/ui.js";
import { approvals } from "./registry_api.js";
import { approvalBadge, busy, kvTable, timeCell } from "./registry_widgets.js";

const PENDING = "PendingManualApproval";
const ACTIONS = [
  { status: "Approved", label: "Approve", done: "approved", class: "primary" },
  { status: "Rejected", label: "Reject", done: "rejected", class: "danger" },
  { status: PENDING, label: "Reset to pending", done: "reset to pending", class: "" },
];

function history(approval) {
  return kvTable([
    ["Status", approvalBadge(approval.status)],
    ["Decided by", approval.updated_by || (approval.updated_timestamp ? "unknown" : "")],
    ["Decided at", timeCell(approval.updated_timestamp)],
    ["Comment", approval.comment ? h("span", { class: "approval-comment" }, approval.comment) : ""],
  ]);
}

// Render into `container`; `onChange(approval)` after a decision is recorded.
export function approvalPanel(container, { name, version, approval, onChange = () => {} }) {
  const render = (current) => {
    const comment = h("textarea", {
      class: "approval-comment-input",
      rows: "2",
      placeholder: "Why? (optional, kept with the decision)",
      "aria-label": `Comment for the approval of version ${version}`,
    });
    // approving again is allowed (a new comment), resetting what is pending is not
    const offered = ACTIONS.filter((action) => !(action.status === PENDING && current.status === PENDING));
    const buttons = offered.map(
      (action) => {
        const control = h("button", { type: "button", class: action.class, "data-status": action.status }, action.label);
        control.addEventListener("click", () =>
          busy(control, async () => {
            const updated = await approvals.set(name, version, action.status, comment.value.trim());
            render(updated);
            toast(`Version ${version} ${action.done}.`);
            onChange(updated);
          }),
        );
        return control;
      },
    );
    clear(container).append(
      h(
        "div",
        { class: "approval-panel", "data-status": current.status },
        history(current),
        comment,
        h("div", { class: "row" }, buttons),
      ),
    );
  };
  render(approval);
}
