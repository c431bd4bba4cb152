/*
 * spec/mremap.c - mremap for the reference semantics: its checks, in the
 * order Linux makes them, and where the mapping and its pages go
 *
 * docs/semantics.md, "mremap".  Written from the rules, not from mm/: a
 * mapping is a piece of the sorted array; moving it moves its private
 * pages (the process's own: written anonymous pages, COW copies of file
 * pages) with it; shared pages are the file's and need no moving.
 *
 * One thing spec/ cannot know is where Linux keeps two adjacent private
 * mappings as two VMAs (their anon_vmas, an anonymous VMA's pgoff after
 * an earlier move): the pieces merge here, with a junction left at the
 * seam (spec/space.c).  mremap is the one operation that observes VMA
 * boundaries (a move or an expansion may not cross one: EFAULT).  When
 * the checked range crosses a junction, the model's result says whether
 * it was a boundary: its EFAULT is taken as the prediction, anything else
 * means the range was one VMA and the rest is predicted as usual.
 */
#include <errno.h>

#include "lib/util.h"
#include "spec/internal.h"

enum remap_type { REMAP_NO_RESIZE, REMAP_SHRINK, REMAP_EXPAND };

struct remap {
	struct spec *s;
	struct spec_mm *mm;
	const struct scn_outcome *model;
	uint64_t addr, old_len, new_len, new_addr;
	bool maymove, fixed, dontunmap;
};

/* round_up(len, 4096), or 0 when that overflows (as PAGE_ALIGN wraps). */
static uint64_t page_align(uint64_t len)
{
	return len > UINT64_MAX - SPEC_PAGE_MASK ? 0 : (len + SPEC_PAGE_MASK) & ~SPEC_PAGE_MASK;
}

/* The piece that contains @addr (vma_lookup), or mm->nr. */
static size_t piece_at(const struct spec_mm *mm, uint64_t addr)
{
	size_t i = spec_mm_find_next(mm, addr);

	return i < mm->nr && mm->vmas[i].start <= addr ? i : mm->nr;
}

/*
 * move_range - the mapping of [addr, addr + old_len) (inside one piece)
 * goes to [new_addr, new_addr + new_len), which is free: the same kind,
 * PROT, file and file offset; its private pages go along; the old range
 * is unmapped, or with dontunmap stays mapped without them (anonymous
 * pages read zero there, file pages follow the file again).
 */
static void move_range(struct remap *r, uint64_t addr, uint64_t old_len, uint64_t new_addr,
		       uint64_t new_len)
{
	struct spec_mm *mm = r->mm;
	size_t i = piece_at(mm, addr);
	struct spec_vma v = mm->vmas[i];

	v.start = new_addr;
	v.end = new_addr + new_len;
	v.pgoff = spec_is_file_kind(v.kind) ? spec_vma_file_index(&mm->vmas[i], addr) :
					      new_addr / SPEC_PAGE_SIZE;
	if (v.file)
		spec_file_get(v.file);
	spec_pm_move_range(&mm->priv, addr / SPEC_PAGE_SIZE, (addr + old_len) / SPEC_PAGE_SIZE,
			   new_addr / SPEC_PAGE_SIZE);
	if (!r->dontunmap && old_len)
		spec_mm_unmap(mm, addr, addr + old_len);
	i = spec_mm_find_next(mm, new_addr);
	spec_mm_insert(mm, i, &v);
	spec_mm_merge_around(mm, i);
}

/*
 * remap_move - fixed with old_len == new_len: every mapped piece of the
 * source range moves to the same offset from new_addr, its destination
 * unmapped first; what the destination has opposite the source's holes
 * stays.  EFAULT when the range does not start inside a mapping.
 */
static int remap_move(struct remap *r, uint64_t *result)
{
	uint64_t start = r->addr, end = r->addr + r->old_len, cur = start;
	bool seen = false;

	while (cur < end) {
		size_t i = spec_mm_find_next(r->mm, cur);
		uint64_t lo, hi, target;

		if (i == r->mm->nr || r->mm->vmas[i].start >= end)
			break;
		if (!seen && start < r->mm->vmas[i].start)
			return -EFAULT;
		/* from cur: with dontunmap the pieces already moved are still there */
		lo = MAX(cur, r->mm->vmas[i].start);
		hi = MIN(end, r->mm->vmas[i].end);
		target = r->new_addr + (lo - start);
		spec_mm_unmap(r->mm, target, target + (hi - lo));
		move_range(r, lo, hi - lo, target, hi - lo);
		cur = hi;
		seen = true;
	}
	if (!seen)
		return -EFAULT;
	*result = r->new_addr;
	return 0;
}

/* Where a moved mapping goes when no fixed address is given (mmap's choice). */
static int choose_address(struct remap *r, enum spec_kind kind, uint64_t hint, uint64_t *addr)
{
	return spec_get_unmapped_area(r->mm, r->s->thp, kind == SPEC_PRIVATE_ANON, false, hint,
				      r->new_len, addr);
}

/* May the piece at @i grow by @delta in place: free after it, below TASK_SIZE. */
static bool expandable(const struct spec_mm *mm, size_t i, uint64_t delta)
{
	uint64_t end = mm->vmas[i].end + delta;

	if (end < mm->vmas[i].end || end > SPEC_TASK_SIZE)
		return false;
	return i + 1 == mm->nr || mm->vmas[i + 1].start >= end;
}

/**
 * spec_do_mremap - B = mremap P OLD OLDLEN NEWLEN [maymove] [fixed NEW]
 * [dontunmap] (docs/semantics.md, "mremap").
 * @model: the model's outcome (may be NULL): consulted only where a
 *         junction makes a VMA boundary uncertain (see the file comment;
 *         NULL: the pieces are taken as one VMA).
 * Return: 0 with the address in *result, or a negative errno.
 */
int spec_do_mremap(struct spec *s, struct spec_mm *mm, const struct scn_stmt *st,
		   const struct scn_args *a, const struct scn_outcome *model, uint64_t *result)
{
	struct remap r = {
		.s = s, .mm = mm, .model = model, .addr = a->addr, .new_addr = a->newaddr,
		.old_len = page_align(a->len), .new_len = page_align(a->newlen),
		.maymove = st->flags & SCN_MREMAP_MAYMOVE,
		.fixed = st->flags & SCN_MREMAP_FIXED,
		.dontunmap = st->flags & SCN_MREMAP_DONTUNMAP,
	};
	bool new_addr_given = r.fixed || r.dontunmap;
	enum remap_type type;
	enum spec_kind kind;
	uint64_t delta, checked;
	size_t i;
	int err;

	/* The arguments, before the mappings are looked at (all EINVAL). */
	if (r.addr & SPEC_PAGE_MASK)
		return -EINVAL;
	if (!r.new_len || r.new_len > SPEC_TASK_SIZE)
		return -EINVAL;
	if (new_addr_given) {
		if (r.new_addr > SPEC_TASK_SIZE - r.new_len || (r.new_addr & SPEC_PAGE_MASK))
			return -EINVAL;
		if (!r.maymove)
			return -EINVAL;
		if (r.dontunmap && r.old_len != r.new_len)
			return -EINVAL;
		if (r.addr + r.old_len > r.new_addr && r.new_addr + r.new_len > r.addr)
			return -EINVAL;		/* the ranges overlap */
	}
	if (r.fixed && r.old_len == r.new_len)
		return remap_move(&r, result);

	/* The mapping at OLD. */
	i = piece_at(mm, r.addr);
	if (i == mm->nr)
		return -EFAULT;
	kind = mm->vmas[i].kind;
	delta = r.old_len > r.new_len ? r.old_len - r.new_len : r.new_len - r.old_len;
	type = !delta ? REMAP_NO_RESIZE : r.old_len > r.new_len ? REMAP_SHRINK : REMAP_EXPAND;
	if (type == REMAP_EXPAND || new_addr_given) {
		if (!r.old_len && spec_is_private(kind))
			return -EINVAL;		/* only a shared mapping may be duplicated */
		checked = type == REMAP_SHRINK ? r.new_len : r.old_len;
		if (checked > mm->vmas[i].end - r.addr)
			return -EFAULT;		/* it would cross the end of the mapping */
		if (spec_mm_junction_within(mm, r.addr, r.addr + checked) && model &&
		    model->kind == SCN_RES_ERRNO && model->err == EFAULT)
			return -EFAULT;		/* Linux kept a VMA boundary at a junction */
	}

	if (!new_addr_given) {
		switch (type) {
		case REMAP_NO_RESIZE:
			*result = r.addr;
			return 0;
		case REMAP_SHRINK:
			err = spec_do_munmap(mm, r.addr + r.new_len, delta);
			if (!err)
				*result = r.addr;
			return err;
		case REMAP_EXPAND:
			if (mm->vmas[i].end == r.addr + r.old_len && expandable(mm, i, delta)) {
				mm->vmas[i].end += delta;
				spec_mm_merge_around(mm, i);
				*result = r.addr;
				return 0;
			}
			if (!r.maymove)
				return -ENOMEM;
			err = choose_address(&r, kind, 0, &r.new_addr);
			if (err)
				return err;
			move_range(&r, r.addr, r.old_len, r.new_addr, r.new_len);
			*result = r.new_addr;
			return 0;
		}
	}

	/*
	 * A given address: fixed (what is there goes first: with OLDLEN 0 the
	 * ranges may start at the same address, and then OLD is gone too),
	 * or dontunmap's hint.
	 */
	if (r.fixed) {
		spec_mm_unmap(mm, r.new_addr, r.new_addr + r.new_len);
		if (piece_at(mm, r.addr) == mm->nr)
			return -EFAULT;
	}
	if (type == REMAP_SHRINK) {
		err = spec_do_munmap(mm, r.addr + r.new_len, delta);
		if (err)
			return err;
		r.old_len = r.new_len;
	}
	if (!r.fixed) {
		err = choose_address(&r, kind, r.new_addr, &r.new_addr);
		if (err)
			return err;
	}
	move_range(&r, r.addr, r.old_len, r.new_addr, r.new_len);
	*result = r.new_addr;
	return 0;
}
