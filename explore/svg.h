/*
 * explore/svg.h - a run as an SVG swimlane diagram (--svg FILE)
 *
 * One column per thread, one row per step; lock acquisitions and releases
 * are marked in the thread's column, the bars show which locks a thread
 * holds, and the step after which the violation was found is highlighted.
 * Self-contained SVG 1.1, readable in a browser.
 *
 * Prefix: ex_.
 */
#ifndef RMAPLAB_EXPLORE_SVG_H
#define RMAPLAB_EXPLORE_SVG_H

#include <stdio.h>

#include "explore/sched.h"

/* Write @run of @prog to @f; @title is the first line of the picture. */
void ex_svg_write(FILE *f, const struct ex_program *prog, const struct ex_run *run,
		  const char *title);

#endif /* RMAPLAB_EXPLORE_SVG_H */
