/*
 * tests/unit/test_svg.c - the SVG swimlane of a run: hand-built runs go
 * through ex_svg_write() and the text is checked for the thread names,
 * the escaping of statement text, the violation, the lock bars and the
 * preemption marker, and that it is one closed <svg> element.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/svg.h"
#include "tests/test.h"

static const char *const svg_names[] = { "T0", "T1" };

static const struct ex_lock_class class_a = { "lock_a", 2 };

static void svg_of(const struct ex_program *prog, const struct ex_run *run, const char *title,
		   char **out)
{
	size_t size = 0;
	FILE *f = open_memstream(out, &size);

	T_ASSERT(f);
	ex_svg_write(f, prog, run, title);
	T_ASSERT(fclose(f) == 0);
	T_ASSERT(*out);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Every '<' opens a tag, a comment, CDATA or a declaration: no text carries a raw one. */
static bool tags_well_formed(const char *s)
{
	const char *p = s;

	while ((p = strchr(p, '<'))) {
		char c = p[1];

		if (!(c == '/' || c == '?' || c == '!' || (c >= 'a' && c <= 'z')))
			return false;
		if (!strncmp(p, "<![CDATA[", 9)) {
			p = strstr(p, "]]>");
			if (!p)
				return false;
		}
		p++;
	}
	return true;
}

static const struct ex_program svg_prog = {
	.nr_threads = 2,
	.names = svg_names,
};

TEST(svg_swimlane_of_a_run)
{
	static int lock_a;
	struct ex_step steps[] = {
		/* T0 stops in front of lock_a */
		{ .thread = 0, .ev = EX_EV_ACQUIRE, .class = &class_a, .lock = &lock_a,
		  .mode = EX_EXCL, .what = "fn_take", .stmt = "T0 stmt", .holder = -1 },
		/* T0 takes it, stops at a statement with XML special characters */
		{ .thread = 0, .ev = EX_EV_STMT, .what = "x <&> \"y\" z", .stmt = "T0 stmt",
		  .took = &lock_a, .took_class = &class_a, .holder = -1 },
		/* T1 preempts T0 and stops in front of lock_a */
		{ .thread = 1, .ev = EX_EV_ACQUIRE, .class = &class_a, .lock = &lock_a,
		  .mode = EX_EXCL, .what = "fn_other", .stmt = "T1 stmt", .decision = true,
		  .preemption = true, .holder = -1 },
		/* ... and sleeps on it: T0 holds it */
		{ .thread = 1, .ev = EX_EV_BLOCK, .class = &class_a, .lock = &lock_a,
		  .mode = EX_EXCL, .what = "fn_other", .stmt = "T1 stmt", .holder = 0 },
		/* T0 releases it */
		{ .thread = 0, .ev = EX_EV_RELEASE, .class = &class_a, .lock = &lock_a,
		  .what = "fn_drop", .stmt = "T0 stmt", .holder = -1 },
		/* T1 gets it, stops at a point */
		{ .thread = 1, .ev = EX_EV_POINT, .what = "my_window", .stmt = "T1 stmt",
		  .took = &lock_a, .took_class = &class_a, .holder = -1 },
		{ .thread = 0, .ev = EX_EV_DONE, .holder = -1 },
	};
	struct ex_run run;
	char *out = NULL, kind[64];
	const char *held, *blk;

	memset(&run, 0, sizeof(run));
	run.steps = steps;
	run.nr_steps = run.cap_steps = (int)(sizeof(steps) / sizeof(steps[0]));
	run.preemptions = 1;
	run.violation.kind = EX_RMAP_MISS;
	run.violation.message = "folio <0x10> not found & gone";
	run.violation_step = 4;

	svg_of(&svg_prog, &run, "scenario <a&b>", &out);

	T_ASSERT(!strncmp(out, "<?xml", 5) || !strncmp(out, "<svg", 4));
	T_EQ(count(out, "<svg"), 1);
	T_EQ(count(out, "</svg>"), 1);
	T_ASSERT(!strcmp(out + strlen(out) - 7, "</svg>\n"));
	T_ASSERT(tags_well_formed(out));

	/* both threads are column heads */
	T_ASSERT(strstr(out, ">T0</text>"));
	T_ASSERT(strstr(out, ">T1</text>"));

	/* the title, the statement and the message are escaped, never raw */
	T_ASSERT(strstr(out, "scenario &lt;a&amp;b&gt;"));
	T_ASSERT(strstr(out, "stmt: x &lt;&amp;&gt; &quot;y&quot; z"));
	T_ASSERT(!strstr(out, "<&>"));
	T_ASSERT(!strstr(out, "<a&b>"));
	T_ASSERT(strstr(out, "folio &lt;0x10&gt; not found &amp; gone"));

	/* the violation: its kind in the header, its row highlighted */
	snprintf(kind, sizeof(kind), "violation: %s,", ex_kind_name(EX_RMAP_MISS));
	T_ASSERT(strstr(out, kind));
	T_ASSERT(strstr(out, "found after step 5"));
	T_EQ(count(out, "class=\"violation\""), 1);

	/* labels */
	T_ASSERT(strstr(out, ">take lock_a</text>"));
	T_ASSERT(strstr(out, ">release lock_a</text>"));
	T_ASSERT(strstr(out, ">point my_window</text>"));
	T_ASSERT(strstr(out, ">done</text>"));
	blk = strstr(out, ">blocked on lock_a (held by T0)</text>");
	T_ASSERT(blk);

	/* one preemption: marked once */
	T_EQ(count(out, " preempt\""), 1);
	T_EQ(count(out, "class=\"pmark\""), 1);
	T_ASSERT(strstr(out, "7 steps, 1 preemptions."));

	/*
	 * Bars: T0 held lock_a over steps 2-5, T1 from step 6 to the end
	 * (never released).
	 */
	T_EQ(count(out, "class=\"held\""), 2);
	held = strstr(out, "class=\"held\"");
	T_ASSERT(held);
	T_ASSERT(strstr(held, "T0 holds lock_a (write), steps 2-5</title>"));
	T_ASSERT(strstr(held, "T1 holds lock_a (write), steps 6-7, not released</title>"));

	/* the hover text carries the full statement and function */
	T_ASSERT(strstr(out, "statement: T1 stmt"));
	T_ASSERT(strstr(out, "sleeps on lock_a (write) in fn_other, held by T0"));
	free(out);
}

TEST(svg_empty_run_is_closed)
{
	struct ex_run run;
	char *out = NULL;

	memset(&run, 0, sizeof(run));
	run.violation_step = -1;
	run.violation.kind = EX_DEADLOCK;
	run.violation.message = "at the end";

	svg_of(&svg_prog, &run, "empty", &out);
	T_ASSERT(!strncmp(out, "<?xml", 5));
	T_EQ(count(out, "<svg"), 1);
	T_EQ(count(out, "</svg>"), 1);
	T_ASSERT(!strcmp(out + strlen(out) - 7, "</svg>\n"));
	T_ASSERT(tags_well_formed(out));
	T_ASSERT(strstr(out, ">T0</text>"));
	T_ASSERT(strstr(out, ex_kind_name(EX_DEADLOCK)));
	T_ASSERT(strstr(out, "begin or end of the run"));
	/* nothing highlighted, no bars, no boxes */
	T_ASSERT(!strstr(out, "class=\"violation\""));
	T_ASSERT(!strstr(out, "class=\"held\""));
	T_ASSERT(!strstr(out, "class=\"box"));
	free(out);
}

/* Long text is cut in the box but kept whole in the hover text; bars survive a downgrade. */
TEST(svg_truncates_labels_and_downgrades)
{
	static int lock_a;
	char stmt[200];
	struct ex_step steps[] = {
		{ .thread = 0, .ev = EX_EV_ACQUIRE, .class = &class_a, .lock = &lock_a,
		  .mode = EX_EXCL, .what = "f", .holder = -1 },
		{ .thread = 0, .ev = EX_EV_DOWNGRADE, .class = &class_a, .lock = &lock_a,
		  .what = "f", .took = &lock_a, .took_class = &class_a, .holder = -1 },
		{ .thread = 0, .ev = EX_EV_STMT, .what = stmt, .holder = -1 },
		{ .thread = 0, .ev = EX_EV_RELEASE, .class = &class_a, .lock = &lock_a,
		  .what = "f", .holder = -1 },
	};
	struct ex_run run;
	char *out = NULL, *label;

	memset(stmt, 'a', sizeof(stmt) - 1);
	stmt[sizeof(stmt) - 1] = '\0';
	memset(&run, 0, sizeof(run));
	run.steps = steps;
	run.nr_steps = 4;
	run.violation_step = -1;

	svg_of(&svg_prog, &run, "t", &out);
	T_ASSERT(tags_well_formed(out));
	T_ASSERT(strstr(out, "no violation"));
	/* the box: "stmt: aaa...", cut, shorter than 60 characters */
	label = strstr(out, ">stmt: a");
	T_ASSERT(label);
	T_ASSERT(strchr(label, '<') - label < 60);
	T_ASSERT(!strncmp(strchr(label, '<') - 3, "...", 3));
	/* the hover text: all of it */
	T_ASSERT(strstr(out, stmt));
	/* the write segment, then the read one */
	T_EQ(count(out, "class=\"held\""), 2);
	T_ASSERT(strstr(out, "T0 holds lock_a (write), steps 2-2</title>"));
	T_ASSERT(strstr(out, "T0 holds lock_a (read), steps 3-4</title>"));
	free(out);
}
