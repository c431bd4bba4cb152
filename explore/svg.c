/*
 * explore/svg.c - a run as an SVG swimlane diagram (--svg FILE)
 *
 * Layout, top to bottom: a header (the title, the violation's kind and
 * message, a legend), the thread names, then one row of ROW_H pixels per
 * step.  Column 0 holds the step numbers; each thread has a column of
 * COL_W pixels: lock bars in lanes on its left, the step's box on its
 * right.  A bar runs from the row of the step that took a lock (step.took)
 * to the row of the step that released it (EX_EV_RELEASE of the same lock
 * pointer), or to the last row if it was never released.  Bars are
 * coloured by lock class; a read hold is drawn lighter, and a downgrade
 * ends the write segment and starts a read one.  Every box and bar has a
 * <title> child with the full text, which a browser shows on hover.
 *
 * Plain stdio; all text goes through svg_text(), which escapes XML's
 * special characters and replaces what XML 1.0 cannot carry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/svg.h"

#define ROW_H		18	/* one step */
#define NUM_W		56	/* the step number column */
#define COL_W		320	/* one thread */
#define LANES		5	/* lock bar lanes per thread */
#define LANE_W		6
#define LANES_W		(LANES * LANE_W + 4)
#define BOX_W		(COL_W - LANES_W - 6)
#define NOTE_W		200	/* right of the grid: the violation marker */
#define CHAR_W		7	/* of the 11px monospace font, rounded up */
#define LABEL_CHARS	((BOX_W - 8) / CHAR_W)
#define PAD		8
#define HEAD_LINE	18	/* a header line */
#define HEAD_LINES	4	/* title, violation, message, legend */
#define COLHEAD_H	24	/* the thread names */
#define GRID_Y		(PAD + HEAD_LINES * HEAD_LINE + 6 + COLHEAD_H)
#define MAX_W		2400	/* the header text is cut to fit within this */

/* A lock a thread holds, and the bar segment being drawn for it. */
struct svg_held {
	const void *lock;
	const struct ex_lock_class *class;
	enum ex_lock_mode mode;
	int start;		/* row of the segment's first step */
	int lane;
};

struct svg_thread {
	struct svg_held held[EX_MAX_HELD];
	int nr_held;
	/* the lock the thread stopped in front of (ACQUIRE, BLOCK) and in which mode */
	const void *pending;
	enum ex_lock_mode pending_mode;
};

/* ------------------------------------------------------------------ */
/* text */

/* Length of the UTF-8 sequence at @s (at most @n bytes), or 0 if it is not a valid one. */
static int utf8_len(const unsigned char *s, size_t n)
{
	int len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Number of characters of @s (UTF-8 lead bytes). */
static int text_chars(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += (*s & 0xc0) != 0x80;
	return n;
}

/*
 * svg_text - write @s as XML character data, at most @max characters
 * (< 0: no limit; a cut string ends in "...").  With @oneline, newlines
 * and tabs become spaces.  Characters XML 1.0 does not allow and invalid
 * UTF-8 become '?'.
 */
static void svg_text(FILE *f, const char *s, int max, bool oneline)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	int chars = 0, limit = -1;

	if (max >= 0 && text_chars((const char *)p) > max)
		limit = max > 3 ? max - 3 : 0;
	while (n) {
		int len = utf8_len(p, n);

		if (chars == limit) {
			fputs("...", f);
			return;
		}
		if (!len) {
			fputc('?', f);
			len = 1;
		} else if (len > 1) {
			fwrite(p, 1, (size_t)len, f);
		} else {
			switch (*p) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&apos;", f); break;
			case '\n':
			case '\t':
				fputc(oneline ? ' ' : *p, f);
				break;
			default:
				fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
			}
		}
		p += len;
		n -= (size_t)len;
		chars++;
	}
}

static const char *thread_name(const struct ex_program *prog, int t, char *buf, size_t size)
{
	if (prog->names && t >= 0 && t < prog->nr_threads && prog->names[t])
		return prog->names[t];
	snprintf(buf, size, "thread %d", t);
	return buf;
}

static const char *class_name(const struct ex_lock_class *class)
{
	return class && class->name ? class->name : "lock";
}

static const char *mode_name(enum ex_lock_mode mode)
{
	return mode == EX_SHARED ? "read" : "write";
}

/* ------------------------------------------------------------------ */
/* steps */

/* The box's style class for @ev. */
static const char *ev_style(enum ex_event ev)
{
	switch (ev) {
	case EX_EV_ACQUIRE:	return "acq";
	case EX_EV_RELEASE:
	case EX_EV_DOWNGRADE:	return "rel";
	case EX_EV_BLOCK:	return "blk";
	case EX_EV_WAIT:	return "wait";
	case EX_EV_STMT:	return "stmt";
	case EX_EV_DONE:	return "done";
	default:		return "pt";
	}
}

/* The short text in the box, unescaped, into @buf. */
static void step_label(const struct ex_program *prog, const struct ex_step *st, char *buf,
		       size_t size)
{
	const char *cls = class_name(st->class);
	const char *what = st->what ? st->what : "";
	char nb[32];

	switch (st->ev) {
	case EX_EV_ACQUIRE:
		snprintf(buf, size, "take %s%s", cls, st->mode == EX_SHARED ? " (read)" : "");
		break;
	case EX_EV_RELEASE:
		snprintf(buf, size, "release %s", cls);
		break;
	case EX_EV_DOWNGRADE:
		snprintf(buf, size, "downgrade %s", cls);
		break;
	case EX_EV_WAIT:
		snprintf(buf, size, "wait for %s", cls);
		break;
	case EX_EV_BLOCK:
		if (st->holder >= 0)
			snprintf(buf, size, "blocked on %s (held by %s)", cls,
				 thread_name(prog, st->holder, nb, sizeof(nb)));
		else
			snprintf(buf, size, "blocked on %s", cls);
		break;
	case EX_EV_POINT:
		snprintf(buf, size, "point %s", what);
		break;
	case EX_EV_ATOMIC:
		snprintf(buf, size, "atomic %s", what);
		break;
	case EX_EV_STMT:
		snprintf(buf, size, "stmt: %s", what);
		break;
	case EX_EV_DONE:
		snprintf(buf, size, "done");
		break;
	default:
		snprintf(buf, size, "%s %s", ex_event_name(st->ev), what);
	}
}

/* The hover text of a step's box. */
static void step_title(FILE *f, const struct ex_program *prog, const struct ex_run *run, int i)
{
	const struct ex_step *st = &run->steps[i];
	char nb[32];

	fprintf(f, "<title>step %d, ", i + 1);
	svg_text(f, thread_name(prog, st->thread, nb, sizeof(nb)), -1, false);
	fputs(": ", f);
	switch (st->ev) {
	case EX_EV_ACQUIRE:
		fprintf(f, "about to take %s (%s)", class_name(st->class), mode_name(st->mode));
		break;
	case EX_EV_RELEASE:
		fprintf(f, "released %s", class_name(st->class));
		break;
	case EX_EV_DOWNGRADE:
		fprintf(f, "downgraded %s to read", class_name(st->class));
		break;
	case EX_EV_WAIT:
		fprintf(f, "about to wait for %s to be unlocked", class_name(st->class));
		break;
	case EX_EV_BLOCK:
		fprintf(f, "sleeps on %s (%s)", class_name(st->class), mode_name(st->mode));
		break;
	case EX_EV_POINT:
		fputs("at point", f);
		break;
	case EX_EV_ATOMIC:
		fputs("at atomic update", f);
		break;
	case EX_EV_STMT:
		fputs("about to start statement", f);
		break;
	case EX_EV_DONE:
		fputs("finished", f);
		break;
	default:
		fputs(ex_event_name(st->ev), f);
	}
	if (st->what) {
		fputs(st->ev == EX_EV_STMT ? ":\n  " : " in ", f);
		svg_text(f, st->what, -1, false);
	}
	if (st->ev == EX_EV_BLOCK && st->holder >= 0) {
		fputs(", held by ", f);
		svg_text(f, thread_name(prog, st->holder, nb, sizeof(nb)), -1, false);
	}
	if (st->took)
		fprintf(f, "\ntook %s at the start of the step", class_name(st->took_class));
	if (st->stmt) {
		fputs("\nstatement: ", f);
		svg_text(f, st->stmt, -1, false);
	}
	if (st->preemption)
		fputs("\npreempted a runnable thread", f);
	else if (st->decision)
		fputs("\na scheduling decision", f);
	if (i == run->violation_step) {
		fprintf(f, "\nviolation found after this step: %s: ",
			ex_kind_name(run->violation.kind));
		svg_text(f, run->violation.message, -1, false);
	}
	fputs("</title>", f);
}

/* ------------------------------------------------------------------ */
/* lock bars */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
	"#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
};

static const char *class_colour(const struct ex_lock_class *class)
{
	int n = (int)(sizeof(palette) / sizeof(palette[0]));
	int r = class ? class->rank : 0;

	return palette[((r % n) + n) % n];
}

static int col_x(int t)
{
	return NUM_W + t * COL_W;
}

static int row_y(int i)
{
	return GRID_Y + i * ROW_H;
}

/* Draw the segment of @h from its start row to row @end (inclusive). */
static void bar(FILE *f, const struct ex_program *prog, int t, const struct svg_held *h, int end,
		bool open)
{
	char nb[32];

	fprintf(f, "<rect class=\"held\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"%s\"%s>", col_x(t) + 3 + h->lane * LANE_W, row_y(h->start) + 1,
		LANE_W - 2, (end - h->start + 1) * ROW_H - 2, class_colour(h->class),
		h->mode == EX_SHARED ? " fill-opacity=\"0.4\"" : "");
	fputs("<title>", f);
	svg_text(f, thread_name(prog, t, nb, sizeof(nb)), -1, false);
	fprintf(f, " holds %s (%s), steps %d-%d%s</title></rect>\n", class_name(h->class),
		mode_name(h->mode), h->start + 1, end + 1, open ? ", not released" : "");
}

static int free_lane(const struct svg_thread *th)
{
	for (int lane = 0; lane < LANES; lane++) {
		bool used = false;

		for (int k = 0; k < th->nr_held; k++)
			used |= th->held[k].lane == lane;
		if (!used)
			return lane;
	}
	return LANES - 1;
}

static int find_held(const struct svg_thread *th, const void *lock)
{
	for (int k = th->nr_held - 1; k >= 0; k--)
		if (th->held[k].lock == lock)
			return k;
	return -1;
}

/* Step @i's effect on the locks its thread holds; closed segments are drawn. */
static void track_locks(FILE *f, const struct ex_program *prog, struct svg_thread *th,
			const struct ex_step *st, int i)
{
	int k;

	if (st->took && th->nr_held < EX_MAX_HELD) {
		struct svg_held *h = &th->held[th->nr_held];

		h->lock = st->took;
		h->class = st->took_class;
		h->mode = th->pending == st->took ? th->pending_mode : EX_EXCL;
		h->start = i;
		h->lane = free_lane(th);
		th->nr_held++;
	}
	th->pending = NULL;
	switch (st->ev) {
	case EX_EV_ACQUIRE:
	case EX_EV_BLOCK:
		th->pending = st->lock;
		th->pending_mode = st->mode;
		break;
	case EX_EV_RELEASE:
		k = find_held(th, st->lock);
		if (k < 0)
			break;
		bar(f, prog, st->thread, &th->held[k], i, false);
		memmove(&th->held[k], &th->held[k + 1],
			(size_t)(th->nr_held - k - 1) * sizeof(th->held[0]));
		th->nr_held--;
		break;
	case EX_EV_DOWNGRADE:
		k = find_held(th, st->lock);
		if (k < 0 || th->held[k].mode == EX_SHARED)
			break;
		bar(f, prog, st->thread, &th->held[k], i, false);
		th->held[k].mode = EX_SHARED;
		th->held[k].start = i + 1;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */

static void header(FILE *f, const struct ex_run *run, int nr_steps, const char *title, int width)
{
	int max = (width - 2 * PAD) / CHAR_W;
	int y = PAD + 13, preemptions = 0;

	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"%d\">", PAD, y);
	svg_text(f, title, max, true);
	fputs("</text>\n", f);
	y += HEAD_LINE;
	if (run->violation.kind == EX_KIND_NONE) {
		fprintf(f, "<text class=\"ok\" x=\"%d\" y=\"%d\">no violation</text>\n", PAD, y);
	} else {
		fprintf(f, "<text class=\"viol\" x=\"%d\" y=\"%d\">violation: ", PAD, y);
		svg_text(f, ex_kind_name(run->violation.kind), -1, true);
		if (run->violation_step >= 0 && run->violation_step < nr_steps)
			fprintf(f, ", found after step %d", run->violation_step + 1);
		else
			fputs(", found at the begin or end of the run", f);
		fputs("</text>\n", f);
		y += HEAD_LINE;
		fprintf(f, "<text class=\"msg\" x=\"%d\" y=\"%d\"><title>", PAD, y);
		svg_text(f, run->violation.message, -1, false);
		if (run->violation.where && *run->violation.where) {
			fputs("\nat ", f);
			svg_text(f, run->violation.where, -1, false);
		}
		fputs("</title>", f);
		svg_text(f, run->violation.message, max, true);
		fputs("</text>\n", f);
	}
	for (int i = 0; i < nr_steps; i++)
		preemptions += run->steps[i].preemption;
	y = PAD + 13 + 3 * HEAD_LINE;
	fprintf(f, "<text class=\"legend\" x=\"%d\" y=\"%d\">%d steps, %d preemptions. "
		"* and orange border: a preemption; bars: locks held (light: read); "
		"hover for details</text>\n", PAD, y, nr_steps, preemptions);
}

static void column_heads(FILE *f, const struct ex_program *prog, int nr_threads, int y)
{
	char nb[32];

	fprintf(f, "<text class=\"colhead\" x=\"%d\" y=\"%d\">step</text>\n", NUM_W - 6, y);
	for (int t = 0; t < nr_threads; t++) {
		fprintf(f, "<text class=\"thread\" x=\"%d\" y=\"%d\">", col_x(t) + COL_W / 2, y);
		svg_text(f, thread_name(prog, t, nb, sizeof(nb)), (COL_W - 8) / 8, true);
		fputs("</text>\n", f);
	}
}

void ex_svg_write(FILE *f, const struct ex_program *prog, const struct ex_run *run,
		  const char *title)
{
	int nr_threads = prog->nr_threads > 0 ? prog->nr_threads : 0;
	int nr_steps = run->nr_steps > 0 && run->steps ? run->nr_steps : 0;
	int grid_w = NUM_W + nr_threads * COL_W;
	int width = grid_w + NOTE_W, height, foot;
	int text_w = 2 * PAD + CHAR_W * text_chars(title);
	struct svg_thread *threads = NULL;
	char label[512];

	if (run->violation.kind != EX_KIND_NONE) {
		int w = 2 * PAD + CHAR_W * text_chars(run->violation.message);

		if (w > text_w)
			text_w = w;
	}
	if (text_w > width)
		width = text_w < MAX_W ? text_w : MAX_W;
	if (width < grid_w + NOTE_W)
		width = grid_w + NOTE_W;
	foot = nr_steps > 40 ? COLHEAD_H : 0;
	height = GRID_Y + nr_steps * ROW_H + foot + PAD;

	if (nr_threads)
		threads = calloc((size_t)nr_threads, sizeof(*threads));
	if (!threads)
		nr_threads = 0;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n", width, height, width, height);
	fputs("<title>", f);
	svg_text(f, title, -1, true);
	fputs("</title>\n", f);
	fputs("<style type=\"text/css\"><![CDATA[\n"
	      "text { font-family: monospace; font-size: 11px; fill: #222; }\n"
	      ".title { font-size: 14px; font-weight: bold; }\n"
	      ".viol { font-size: 12px; font-weight: bold; fill: #c00; }\n"
	      ".msg { fill: #900; }\n"
	      ".ok { fill: #070; }\n"
	      ".legend { fill: #666; }\n"
	      ".colhead, .num { text-anchor: end; fill: #666; }\n"
	      ".thread { text-anchor: middle; font-size: 12px; font-weight: bold; }\n"
	      ".stripe { fill: #f4f4f4; }\n"
	      ".violation { fill: #ffc8c8; stroke: #d00; stroke-width: 1; }\n"
	      ".vnote { fill: #c00; font-weight: bold; }\n"
	      ".sep { stroke: #ccc; stroke-width: 1; }\n"
	      ".box { stroke: #888; stroke-width: 1; }\n"
	      ".acq { fill: #dbe9ff; } .rel { fill: #dff5dc; } .blk { fill: #ffd9b3; }\n"
	      ".wait { fill: #eadcff; } .stmt { fill: #eeeeee; } .done { fill: #ffffff; }\n"
	      ".pt { fill: #fff6c2; }\n"
	      ".preempt { stroke: #e67e00; stroke-width: 2.5; }\n"
	      ".pmark { fill: #e67e00; }\n"
	      "]]></style>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width,
		height);

	header(f, run, nr_steps, title, width);
	column_heads(f, prog, nr_threads, GRID_Y - 8);

	/* rows: stripes, the violation, the step numbers */
	for (int i = 0; i < nr_steps; i++) {
		const struct ex_step *st = &run->steps[i];

		if (i == run->violation_step)
			fprintf(f, "<rect class=\"violation\" x=\"0\" y=\"%d\" width=\"%d\" "
				"height=\"%d\"/>\n", row_y(i), grid_w, ROW_H);
		else if (i & 1)
			fprintf(f, "<rect class=\"stripe\" x=\"0\" y=\"%d\" width=\"%d\" "
				"height=\"%d\"/>\n", row_y(i), grid_w, ROW_H);
		fprintf(f, "<text class=\"num\" x=\"%d\" y=\"%d\">%d%s</text>\n", NUM_W - 6,
			row_y(i) + 13, i + 1, st->preemption ? "*" : "");
	}
	if (run->violation_step >= 0 && run->violation_step < nr_steps) {
		int y = row_y(run->violation_step) + 13;

		fprintf(f, "<text class=\"vnote\" x=\"%d\" y=\"%d\">&lt;== ", grid_w + 6, y);
		svg_text(f, ex_kind_name(run->violation.kind), (NOTE_W - 40) / CHAR_W, true);
		fputs("</text>\n", f);
	}

	/* column separators */
	for (int t = 0; t <= nr_threads; t++)
		fprintf(f, "<line class=\"sep\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
			col_x(t), GRID_Y - COLHEAD_H, col_x(t), row_y(nr_steps) + foot);

	/* boxes and lock bars */
	for (int i = 0; i < nr_steps; i++) {
		const struct ex_step *st = &run->steps[i];
		int t = st->thread, x, y;

		if (t < 0 || t >= nr_threads)
			continue;
		track_locks(f, prog, &threads[t], st, i);
		x = col_x(t) + LANES_W;
		y = row_y(i);
		step_label(prog, st, label, sizeof(label));
		fprintf(f, "<g><rect class=\"box %s%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"%d\" rx=\"3\"/>", ev_style(st->ev), st->preemption ? " preempt" : "",
			x, y + 2, BOX_W, ROW_H - 4);
		if (st->preemption)
			fprintf(f, "<polygon class=\"pmark\" points=\"%d,%d %d,%d %d,%d\"/>", x - 1,
				y + 3, x + 6, y + ROW_H / 2, x - 1, y + ROW_H - 3);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", x + (st->preemption ? 9 : 4), y + 13);
		svg_text(f, label, LABEL_CHARS - (st->preemption ? 1 : 0), true);
		fputs("</text>", f);
		step_title(f, prog, run, i);
		fputs("</g>\n", f);
	}
	/* locks still held at the end */
	for (int t = 0; t < nr_threads; t++)
		for (int k = 0; k < threads[t].nr_held; k++)
			if (threads[t].held[k].start < nr_steps)
				bar(f, prog, t, &threads[t].held[k], nr_steps - 1, true);

	if (foot)
		column_heads(f, prog, nr_threads, row_y(nr_steps) + COLHEAD_H - 8);
	fputs("</svg>\n", f);
	free(threads);
}
