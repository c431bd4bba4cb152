/*
 * spec/spec.h - the reference semantics: what every statement returns and
 * every read sees, with no pages, page tables or locks.
 *
 * The contract is docs/semantics.md.  spec/ is deliberately written apart
 * from mm/ (different data structures, no shared code beyond the
 * scenario types) so that the two check each other.
 *
 * Processes and files are named by their scenario symbol index.
 */
#ifndef RMAPLAB_SPEC_SPEC_H
#define RMAPLAB_SPEC_SPEC_H

#include "lang/scn.h"

struct spec;

/* @scn supplies the symbol table and config (thp); it must outlive the spec. */
struct spec *spec_create(const struct scenario *scn);
void spec_destroy(struct spec *s);

/*
 * spec_exec - apply @st with evaluated @args and write the predicted
 * outcome to @out (out->data is malloc'd for reads).
 *
 * @model is the model's outcome for the same statement, or NULL.  spec/
 * looks at it only when model->alloc_failed is set: then the statement is
 * applied as one that failed with no effect, except that a write or a
 * populate keeps its first model->progress pages (docs/semantics.md, "When
 * memory runs out"), and the prediction is the model's ENOMEM.
 *
 * Kernel operations (migrate, compact, reclaim, pageout, split) change
 * nothing; spec predicts their argument errors only.  `check` and
 * `inject` are ok.  mremap also looks at @model where Linux's VMA
 * boundaries are unknown to spec/ (spec/mremap.c), and exec when memory
 * ran out (was the point of no return passed?).  pin* are not modelled
 * yet: the prediction is unpredictable.
 */
void spec_exec(struct spec *s, const struct scn_stmt *st, const struct scn_args *args,
	       const struct scn_outcome *model, struct scn_outcome *out);

/* Does process @proc (symbol index) exist now? */
bool spec_proc_exists(const struct spec *s, int proc);

#endif /* RMAPLAB_SPEC_SPEC_H */
