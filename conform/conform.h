/*
 * conform/conform.h - `rmaplab conform`: a scenario on Linux, on mm/ and
 * on spec/, statement by statement
 *
 * cf_conform() runs the sequential part of a scenario (init, the threads
 * one after another in file order, final) on the real kernel and on the
 * model in lockstep.  After every statement it compares the kernel's
 * result with the model's, the model's with the reference semantics', and
 * both with the statement's ==; the model's invariants are checked too.
 * The first disagreement ends the run and is reported with the three
 * results side by side.
 *
 * Prefix: cf_ (conform/).
 */
#ifndef RMAPLAB_CONFORM_CONFORM_H
#define RMAPLAB_CONFORM_CONFORM_H

#include <stdbool.h>
#include <stdio.h>

#include "explore/violation.h"
#include "lang/scn.h"

enum cf_verdict {
	CF_PASS,		/* every compared statement agreed; every == held */
	CF_DIFFERENT,		/* a disagreement, or an == that does not hold */
	CF_MODEL_ONLY,		/* uses inject: the model ran it alone, and passed */
	CF_UNIMPLEMENTED,	/* the model does not implement a statement yet */
	CF_BROKEN,		/* the kernel side could not run (fork, open failed) */
};

/* One statement's record: what each side said. */
struct cf_step {
	const struct scn_section *section;
	const struct scn_stmt *stmt;
	char kernel[160], model[160], spec[160];	/* "" when that side did not run it */
	char skipped[200];	/* why the kernel did not run it; "" if it did */
	struct scn_outcome kout;	/* the kernel's outcome (kind OK when it did not run) */
	bool kran;			/* the kernel ran it: kout is meaningful */
	struct scn_outcome mout;	/* the model's outcome */
};

struct cf_result {
	const struct scenario *scn;
	enum scn_files files;
	enum cf_verdict verdict;
	struct cf_step *steps;
	int nr_steps;		/* statements run (the last one is the difference) */
	int nr_compared;	/* statements whose kernel and model results were compared */
	int nr_skipped;
	/* CF_DIFFERENT: what disagreed, in one sentence */
	char *why;
	bool at_end;		/* at the end of the run (the model's leak check), not a statement */
	struct ex_violation violation;	/* a model violation, kind EX_KIND_NONE if none */
	const struct scn_stmt *unimplemented;
};

/*
 * cf_conform - run @scn (whose config.files says which files to make) on
 * the kernel and the model.  With @compare_only, == is not looked at and
 * a statement without == may fail (random scenarios have none): only the
 * kernel, the model and spec/ are compared.  @res must be freed with
 * cf_result_free().
 */
void cf_conform(const struct scenario *scn, bool compare_only, struct cf_result *res);
void cf_result_free(struct cf_result *res);

/* "Linux 6.18.44-fc-v769 x86_64": the oracle, for every report. */
const char *cf_kernel_version(void);

#define CF_JSON		0x1
#define CF_VERBOSE	0x2

void cf_print(const struct cf_result *res, int flags, FILE *out);

#endif /* RMAPLAB_CONFORM_CONFORM_H */
