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
#define RL_CONFORM_VERBOSE 0x8	/* conform, text: every statement's three results */

/* conform: what `file F SIZE` makes on the kernel and in the model */
#define RL_FILES_SCENARIO (-1)	/* the scenario's config files= (default disk); a
				 * scenario with its own files= line keeps it anyway */
#define RL_FILES_DISK	0	/* an unlinked O_TMPFILE in $TMPDIR or /tmp (ext4 here) */
#define RL_FILES_MEMFD	1	/* a memfd (tmpfs) */

const char *rl_version(void);

/*
 * rl_run_file - parse @path and run it once, sequentially, with the
 * scenario's variants overridden by @variants ("key=value" strings).
 * Writes the report to @out and errors to @err; returns an rl_exit code.
 */
int rl_run_file(const char *path, const char *const *variants, int nr_variants, int flags,
		FILE *out, FILE *err);

/*
 * rl_conform_file - parse @path and run it on the real kernel, on the
 * model and on the reference semantics, comparing every statement's
 * result (`rmaplab conform`).  @files: RL_FILES_*.  @flags: RL_RUN_JSON,
 * RL_CONFORM_VERBOSE.  Returns RL_EXIT_OK when everything agreed (or the
 * scenario is model-only and passed), RL_EXIT_VIOLATION on a difference,
 * RL_EXIT_BAD_INPUT for bad input or when the kernel side could not run,
 * RL_EXIT_UNIMPLEMENTED when the model lacks a statement.
 */
int rl_conform_file(const char *path, int files, int flags, FILE *out, FILE *err);

/*
 * rl_conform_random - @n random sequential scenarios from @seed, each run
 * as rl_conform_file runs one.  On the first difference the scenario is
 * shrunk (statements removed while it still differs), written to @outdir
 * and its path printed; returns RL_EXIT_VIOLATION.  Progress goes to @err.
 */
int rl_conform_random(unsigned long n, unsigned long long seed, int files, const char *outdir,
		      int flags, FILE *out, FILE *err);

#endif /* RMAPLAB_H */
