// A table that renders only the rows in view, so 5,000 servers scroll smoothly. It stays a
// real <table> (header, caption, aria-rowcount/aria-rowindex) for assistive technology, and
// keeps rendered rows in place while scrolling so that keyboard focus is never lost.
import { h, icon, frameThrottle } from "./dom.js";
import { compareValues } from "./rules.js";

export class VirtualTable {
  /**
   * columns: [{ key, label, width, value(row) (for sorting), render(row) -> Node|string,
   *             update(row, td) (optional, to change a cell in place), className, sortable }]
   */
  constructor({ caption, columns, rowKey, rowHeight = 40, overscan = 8, emptyText = "Nothing to show", sort, rowClass, label, minWidth }) {
    this.columns = columns;
    this.rowKey = rowKey;
    this.rowHeight = rowHeight;
    this.overscan = overscan;
    this.rowClass = rowClass;
    this.rows = [];
    this.view = [];
    this.sort = sort ?? null;
    this.rendered = new Map();
    this.emptyText = emptyText;

    this.headRow = h("tr", { "aria-rowindex": "1" });
    this.headCells = new Map();
    const colgroup = h("colgroup");
    for (const col of columns) {
      const c = h("col");
      if (col.width) c.style.width = col.width;
      colgroup.append(c);
      const th = h("th", { scope: "col", class: col.className ?? "" });
      if (col.sortable === false || !col.value) {
        th.append(col.header ? col.header() : col.label);
      } else {
        const button = h("button", { type: "button", class: "sort-button", onclick: () => this.toggleSort(col.key) }, h("span", {}, col.label), icon("arrow", "sort-icon"));
        th.append(button);
      }
      this.headCells.set(col.key, th);
      this.headRow.append(th);
    }
    this.spacerTop = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: String(columns.length) }));
    this.spacerBottom = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: String(columns.length) }));
    this.emptyRow = h("tr", { class: "empty-row" }, h("td", { colspan: String(columns.length) }, emptyText));
    this.tbody = h("tbody", {}, this.spacerTop, this.spacerBottom);
    this.table = h("table", { class: "vt-table", "aria-rowcount": "1" }, caption ? h("caption", { class: "visually-hidden" }, caption) : null, colgroup, h("thead", {}, this.headRow), this.tbody);
    if (minWidth) this.table.style.minWidth = minWidth;
    this.element = h("div", { class: "vt", tabindex: "-1", role: "region", "aria-label": label ?? caption ?? "Table" }, this.table);
    this.schedule = frameThrottle(() => this.render());
    this.element.addEventListener("scroll", this.schedule, { passive: true });
    new ResizeObserver(this.schedule).observe(this.element);
    this.updateSortHeaders();
  }

  setRows(rows) {
    this.rows = rows;
    this.applySort();
  }

  toggleSort(key) {
    if (this.sort?.key === key) this.sort = { key, dir: this.sort.dir === "asc" ? "desc" : "asc" };
    else this.sort = { key, dir: "asc" };
    this.updateSortHeaders();
    this.applySort();
  }

  updateSortHeaders() {
    for (const [key, th] of this.headCells) {
      const active = this.sort?.key === key;
      if (th.querySelector(".sort-button")) th.setAttribute("aria-sort", active ? (this.sort.dir === "asc" ? "ascending" : "descending") : "none");
      th.classList.toggle("sorted-asc", active && this.sort.dir === "asc");
      th.classList.toggle("sorted-desc", active && this.sort.dir === "desc");
    }
  }

  applySort() {
    const col = this.sort && this.columns.find((c) => c.key === this.sort.key);
    let view = this.rows;
    if (col?.value) {
      const sign = this.sort.dir === "desc" ? -1 : 1;
      const keyed = this.rows.map((row, i) => ({ row, v: col.value(row), i }));
      keyed.sort((a, b) => sign * compareValues(a.v, b.v) || a.i - b.i);
      view = keyed.map((k) => k.row);
    } else {
      view = this.rows.slice();
    }
    this.view = view;
    this.indexOf = new Map(view.map((row, i) => [this.rowKey(row), i]));
    this.table.setAttribute("aria-rowcount", String(view.length + 1));
    // The order changed: rebuild the rendered rows.
    for (const tr of this.rendered.values()) tr.remove();
    this.rendered.clear();
    this.render();
  }

  /** Re-renders the cells of the rows in view (after a state change). */
  refresh() {
    for (const [key, tr] of this.rendered) {
      const row = this.view[this.indexOf.get(key)];
      if (row) this.fill(tr, row);
    }
  }

  scrollToIndex(index) {
    const top = index * this.rowHeight;
    const el = this.element;
    const head = this.headRow.offsetHeight || this.rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + this.rowHeight > el.scrollTop + el.clientHeight - head) el.scrollTop = top + this.rowHeight - el.clientHeight + head;
    this.render();
  }

  fill(tr, row) {
    tr.className = `row ${this.rowClass ? this.rowClass(row) ?? "" : ""}`;
    this.columns.forEach((col, i) => {
      const td = tr.children[i];
      if (col.update && td.firstChild) {
        col.update(row, td);
        return;
      }
      const content = col.render ? col.render(row) : col.value?.(row);
      td.replaceChildren();
      td.removeAttribute("title");
      if (content instanceof Node) td.append(content);
      else if (content !== undefined && content !== null && content !== "") {
        td.textContent = String(content);
        td.title = String(content);
      }
    });
  }

  createRow(row) {
    const tr = h("tr", { class: "row" }, this.columns.map((col) => h("td", { class: col.className ?? "" })));
    this.fill(tr, row);
    return tr;
  }

  render() {
    const n = this.view.length;
    if (n === 0) {
      for (const tr of this.rendered.values()) tr.remove();
      this.rendered.clear();
      this.spacerTop.hidden = this.spacerBottom.hidden = true;
      if (!this.emptyRow.isConnected) this.tbody.append(this.emptyRow);
      return;
    }
    this.emptyRow.remove();
    const el = this.element;
    const height = el.clientHeight || 600;
    const head = this.headRow.offsetHeight || this.rowHeight;
    const scroll = Math.max(0, el.scrollTop);
    const first = Math.max(0, Math.floor(scroll / this.rowHeight) - this.overscan);
    const last = Math.min(n, Math.ceil((scroll + height - head) / this.rowHeight) + this.overscan);
    const keys = [];
    for (let i = first; i < last; i++) keys.push(this.rowKey(this.view[i]));
    const wanted = new Set(keys);
    for (const [key, tr] of this.rendered) {
      if (!wanted.has(key)) {
        tr.remove();
        this.rendered.delete(key);
      }
    }
    let cursor = this.spacerTop;
    keys.forEach((key, offset) => {
      let tr = this.rendered.get(key);
      if (!tr) {
        tr = this.createRow(this.view[first + offset]);
        this.rendered.set(key, tr);
      }
      tr.setAttribute("aria-rowindex", String(first + offset + 2));
      if (cursor.nextSibling !== tr) this.tbody.insertBefore(tr, cursor.nextSibling);
      cursor = tr;
    });
    this.spacerTop.hidden = first === 0;
    this.spacerBottom.hidden = last >= n;
    this.spacerTop.firstChild.style.height = `${first * this.rowHeight}px`;
    this.spacerBottom.firstChild.style.height = `${(n - last) * this.rowHeight}px`;
  }
}
