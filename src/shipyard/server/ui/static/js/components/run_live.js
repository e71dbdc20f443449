// Live refresh: while something on the page is RUNNING, poll every few seconds and say so in
// the header's #live-status. Polling pauses while the tab is hidden and stops by itself once
// nothing runs any more.

const INTERVAL = 3000;

export class LiveRefresh {
  // isLive(): whether anything shown is still running; refresh(): fetch and update in place;
  // describe(): the status text while live.
  constructor({ isLive, refresh, describe, interval = INTERVAL }) {
    this.isLive = isLive;
    this.refresh = refresh;
    this.describe = describe;
    this.interval = interval;
    this.timer = 0;
    this.status = document.getElementById("live-status");
    document.addEventListener("visibilitychange", () => this.check());
  }

  // Start or stop polling to match what the page shows now.
  check() {
    const live = this.isLive();
    if (live && !this.timer && !document.hidden) {
      this.timer = setTimeout(() => this.tick(), this.interval);
    } else if ((!live || document.hidden) && this.timer) {
      clearTimeout(this.timer);
      this.timer = 0;
    }
    this.show(live);
  }

  async tick() {
    this.timer = 0;
    try {
      await this.refresh();
      this.updated = new Date();
    } catch {
      // A failed poll (server restarting, network blip) is retried on the next tick; the
      // status line says the data may be stale rather than interrupting the user.
      this.failed = true;
    }
    this.check();
  }

  show(live) {
    if (!this.status) return;
    this.status.hidden = !live;
    if (!live) return;
    const time = this.updated ? ` · updated ${this.updated.toLocaleTimeString()}` : "";
    this.status.textContent = `● Live · ${this.describe()}${this.failed ? " · retrying" : time}`;
    this.status.classList.add("live-on");
    this.failed = false;
  }
}
