/*
 * include/rmaplab.h - rmaplab's public C API (prefix rl_)
 *
 * rmaplab is an executable model of the Linux VM's object-based reverse
 * mapping.  This header lets a C program run scenario files (the language
 * of docs/scenarios.md) as `rmaplab run` does.  Link with librmaplab.a.
 */
#ifndef RMAPLAB_H
#define RMAPLAB_H

#include <stdio.h>

#define RMAPLAB_VERSION "0.1.0"

/* Exit codes, as SCENARIOS.md defines them. */
enum rl_exit {
	RL_EXIT_OK = 0,			/* everything held */
	RL_EXIT_VIOLATION = 1,		/* a violation or a failed claim */
	RL_EXIT_BAD_INPUT = 2,		/* bad input or usage */
	RL_EXIT_UNIMPLEMENTED = 3,	/* a statement this build does not implement yet */
};

#define RL_RUN_JSON	0x1	/* one JSON document instead of text */
#define RL_RUN_QUIET	0x2	/* text: only the verdict line (and a violation's detail) */
#define RL_RUN_TRACE	0x4	/* text: every lock event and schedule point, with its function */

const char *rl_version(void);

/*
 * rl_run_file - parse @path and run it once, sequentially, with the
 * scenario's variants overridden by @variants ("key=value" strings).
 * Writes the report to @out and errors to @err; returns an rl_exit code.
 */
int rl_run_file(const char *path, const char *const *variants, int nr_variants, int flags,
		FILE *out, FILE *err);

#endif /* RMAPLAB_H */
