/*
 * conform/kernel.h - running scenario statements on the real kernel
 *
 * A cf_kernel is one scenario's world on Linux: an agent process (see
 * agent.h) per scenario process, a real file per scenario file (an
 * unlinked O_TMPFILE on disk, or a memfd), and its own bindings of the
 * scenario's names, since `mmap ... any` returns other addresses here
 * than in the model.  The runner itself does pread, pwrite and ftruncate.
 *
 * Prefix: cf_ (conform/).
 */
#ifndef RMAPLAB_CONFORM_KERNEL_H
#define RMAPLAB_CONFORM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "lang/scn.h"

struct cf_kernel {
	const struct scenario *scn;
	bool memfd;		/* files are memfds, else O_TMPFILEs in dir */
	const char *dir;	/* where disk files live */
	int *sock;		/* by symbol: the agent's channel, -1 if none */
	int *pid;		/* by symbol: the agent's pid if the runner forked it, else 0 */
	int *fd;		/* by symbol: the file, -1 if none */
	uint64_t *values;	/* by symbol */
	bool *bound;
};

enum cf_kstatus {
	CF_K_OK,		/* ran; the outcome is in *out */
	CF_K_SKIPPED,		/* not run on the kernel; *why says why */
	CF_K_UNBOUND,		/* an argument names a value whose binding failed */
	CF_K_BROKEN,		/* the agent or the runner failed; *why says how */
};

/* The directory of disk files: $TMPDIR, else /tmp. */
const char *cf_disk_dir(void);

void cf_kernel_init(struct cf_kernel *k, const struct scenario *scn, bool memfd);

/*
 * cf_kernel_exec - run @st; fill @args (evaluated in the kernel's
 * bindings) and @out, or say in @why why not.  Binds NAME = on success.
 */
enum cf_kstatus cf_kernel_exec(struct cf_kernel *k, const struct scn_stmt *st,
			       struct scn_args *args, struct scn_outcome *out, char *why,
			       size_t why_size);

/* Every agent exits (in symbol order), every file is closed. */
void cf_kernel_finish(struct cf_kernel *k);

/* Why the kernel side cannot run @op at all, or NULL if it can. */
const char *cf_kernel_skips(enum scn_op op);

#endif /* RMAPLAB_CONFORM_KERNEL_H */
