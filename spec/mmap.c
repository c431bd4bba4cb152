/*
 * spec/mmap.c - mmap, munmap, mprotect and madvise for the reference
 * semantics: their checks, in the order Linux makes them, and their
 * effect on the mapping array and the private pages
 *
 * docs/semantics.md, "mmap", "munmap", "mprotect", "madvise".
 */
#include <errno.h>

#include "lib/util.h"
#include "spec/internal.h"

/* round_up(len, 4096), or 0 when that overflows. */
static uint64_t page_align(uint64_t len)
{
	return len > UINT64_MAX - SPEC_PAGE_MASK ? 0 : (len + SPEC_PAGE_MASK) & ~SPEC_PAGE_MASK;
}

static bool range_intersects(const struct spec_mm *mm, uint64_t lo, uint64_t hi)
{
	size_t i = spec_mm_find_next(mm, lo);

	return i < mm->nr && mm->vmas[i].start < hi;
}

/*
 * mmap_hint - step 2: without fixed, a hint is rounded down to a page
 * (Linux's round_hint_to_min() masks it; probe: hint 0x200000123 gives
 * 0x200000000); a hint that is then 0 is no hint at all, as `any` (probe:
 * hint 0x800 and hint 0 give the top-down, THP-aligned choice of `any`);
 * a non-zero hint below mmap_min_addr becomes mmap_min_addr.
 */
static uint64_t mmap_hint(const struct scn_args *a)
{
	uint64_t h;

	if (a->addr_any)
		return 0;
	h = a->addr & ~SPEC_PAGE_MASK;
	if (h && h < SPEC_MMAP_MIN_ADDR)
		h = SPEC_MMAP_MIN_ADDR;
	return h;
}

/**
 * spec_do_mmap - A = mmap P ADDR LEN PROT FLAGS [file F OFF]
 * (docs/semantics.md, "mmap", steps 1-11).
 * @limit: populate at most this many pages (the model ran out of memory).
 *
 * The steps in Linux's order.  One difference from semantics.md: a file
 * mapping's unaligned OFF is checked first (Linux's sys_mmap does it
 * before anything else; probe: OFF 1 with LEN 2^64-1 is EINVAL, not
 * step 3's ENOMEM).
 *
 * Return: 0 with *addr, or a negative errno.
 */
int spec_do_mmap(struct spec *s, struct spec_mm *mm, const struct scn_stmt *st,
		 const struct scn_args *a, uint64_t limit, uint64_t *addr)
{
	bool is_file = st->file >= 0;
	bool shared = st->flags & SCN_MAP_SHARED;
	bool fixed = st->flags & (SCN_MAP_FIXED | SCN_MAP_FIXED_NOREPLACE);
	struct spec_file *f = is_file ? s->files[st->file] : NULL;
	uint64_t len, pgoff, hint, start;
	struct spec_vma v = { 0 };
	size_t i;
	int err;

	if (is_file && (a->off & SPEC_PAGE_MASK))		/* step 4, first */
		return -EINVAL;
	if (!a->len)						/* step 1 */
		return -EINVAL;
	hint = fixed ? a->addr : mmap_hint(a);			/* step 2 */
	len = page_align(a->len);				/* step 3 */
	if (!len)
		return -ENOMEM;
	pgoff = is_file ? a->off / SPEC_PAGE_SIZE : 0;
	if (pgoff + len / SPEC_PAGE_SIZE < pgoff)		/* step 5 */
		return -EOVERFLOW;
	/* step 6: max_map_count is not modelled */
	err = spec_get_unmapped_area(mm, s->thp, !is_file, fixed, hint, len, &start); /* 7 */
	if (err)
		return err;
	if ((st->flags & SCN_MAP_FIXED_NOREPLACE) &&		/* step 8 */
	    range_intersects(mm, start, start + len))
		return -EEXIST;
	if (is_file && (len > SPEC_MAX_LFS_FILESIZE ||		/* step 9 */
			pgoff > (SPEC_MAX_LFS_FILESIZE - len) / SPEC_PAGE_SIZE))
		return -EOVERFLOW;
	if ((st->flags & SCN_MAP_GROWSDOWN) && (shared || is_file))
		return -EINVAL;

	if (fixed)						/* step 10 */
		spec_mm_unmap(mm, start, start + len);
	v.start = start;
	v.end = start + len;
	v.prot = st->prot;
	v.growsdown = st->flags & SCN_MAP_GROWSDOWN;
	v.thp = SPEC_THP_NONE;
	if (is_file) {
		v.kind = shared ? SPEC_SHARED_FILE : SPEC_PRIVATE_FILE;
		v.file = spec_file_get(f);
		v.pgoff = pgoff;
	} else if (shared) {
		v.kind = SPEC_SHARED_ANON;
		v.file = spec_file_new(len, true);	/* the hidden shmem file */
		v.pgoff = 0;
	} else {
		v.kind = SPEC_PRIVATE_ANON;
		v.pgoff = start / SPEC_PAGE_SIZE;
	}
	i = spec_mm_find_next(mm, start);	/* [start, end) is free: it goes before i */
	spec_mm_insert(mm, i, &v);
	spec_mm_merge_around(mm, i);

	if (st->flags & SCN_MAP_POPULATE)			/* step 11 */
		spec_populate_mmap(mm, start, len, limit);
	*addr = start;
	return 0;
}

/**
 * spec_do_munmap - munmap P ADDR LEN (docs/semantics.md, "munmap").
 *
 * EINVAL if ADDR is not page aligned, ADDR > TASK_SIZE, LEN > TASK_SIZE -
 * ADDR, or LEN = 0; otherwise [ADDR, ADDR + round_up(LEN)) is unmapped,
 * holes and all.
 */
int spec_do_munmap(struct spec_mm *mm, uint64_t addr, uint64_t len)
{
	if ((addr & SPEC_PAGE_MASK) || addr > SPEC_TASK_SIZE || len > SPEC_TASK_SIZE - addr)
		return -EINVAL;
	len = page_align(len);
	if (!len)
		return -EINVAL;
	spec_mm_unmap(mm, addr, addr + len);
	return 0;
}

/**
 * spec_do_mprotect - mprotect P ADDR LEN PROT (docs/semantics.md,
 * "mprotect").
 *
 * EINVAL for an unaligned ADDR; ok for LEN 0; ENOMEM when ADDR +
 * round_up(LEN) overflows; ENOMEM with no change when ADDR is not inside
 * a mapping; then each mapping in turn gets PROT until a hole (or the end
 * of the mappings) before the end of the range: ENOMEM, the mappings
 * before the hole keep their new PROT.
 */
int spec_do_mprotect(struct spec_mm *mm, uint64_t addr, uint64_t len, int prot)
{
	uint64_t end, cur;
	size_t i;

	if (addr & SPEC_PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = page_align(len);
	end = addr + len;
	if (end <= addr)
		return -ENOMEM;
	i = spec_mm_find_next(mm, addr);
	if (i == mm->nr || mm->vmas[i].start > addr)
		return -ENOMEM;
	for (cur = addr; cur < end;) {
		i = spec_mm_find_next(mm, cur);
		if (i == mm->nr || mm->vmas[i].start > cur)
			return -ENOMEM;		/* a hole: the mappings before it keep PROT */
		if (mm->vmas[i].prot == prot) {		/* unchanged: the kernel leaves it alone */
			cur = MIN(mm->vmas[i].end, end);
			continue;
		}
		i = spec_mm_split(mm, cur);
		spec_mm_split(mm, MIN(mm->vmas[i].end, end));
		mm->vmas[i].prot = prot;
		cur = mm->vmas[i].end;
		spec_mm_merge_around(mm, i);
	}
	return 0;
}

/*
 * collapse_eligible - docs/semantics.md, madvise collapse: EINVAL for a
 * mapping that is not anonymous (private, or shared anonymous), that is
 * marked nohugepage, or that contains no 2 MiB-aligned 2 MiB range.  The
 * piece is the whole kernel VMA (pieces are merged as the kernel merges).
 * These are sufficient conditions for EINVAL; Linux has more (an
 * anonymous VMA with no anon_vma yet, a shmem VMA whose start and pgoff
 * disagree modulo 2 MiB), which depend on history, so spec/ leaves such
 * results unpredicted.
 */
static bool collapse_eligible(const struct spec_vma *v)
{
	uint64_t h = (v->start + SPEC_PMD_SIZE - 1) & ~(SPEC_PMD_SIZE - 1);	/* < 2^48 */

	if (v->kind != SPEC_PRIVATE_ANON && v->kind != SPEC_SHARED_ANON)
		return false;
	if (v->thp == SPEC_THP_NOHUGEPAGE)
		return false;
	return h + SPEC_PMD_SIZE <= v->end;
}

/*
 * madvise_one - the effect of @adv on [lo, hi), all inside piece @i.
 * Return: 0, or a negative errno; *unpredictable for collapse.
 */
static int madvise_one(struct spec_mm *mm, size_t i, uint64_t lo, uint64_t hi,
		       enum scn_advice adv, bool *unpredictable)
{
	int thp;

	switch (adv) {
	case SCN_ADV_DONTNEED:
		/* private pages read zero or follow the file again; shared keep their data */
		if (spec_is_private(mm->vmas[i].kind))
			spec_pm_remove_range(&mm->priv, lo / SPEC_PAGE_SIZE, hi / SPEC_PAGE_SIZE);
		return 0;
	case SCN_ADV_HUGEPAGE:
	case SCN_ADV_NOHUGEPAGE:
		thp = adv == SCN_ADV_HUGEPAGE ? SPEC_THP_HUGEPAGE : SPEC_THP_NOHUGEPAGE;
		if (mm->vmas[i].thp == thp)
			return 0;
		i = spec_mm_split(mm, lo);
		spec_mm_split(mm, hi);
		mm->vmas[i].thp = thp;
		spec_mm_merge_around(mm, i);
		return 0;
	case SCN_ADV_COLLAPSE:
		if (!collapse_eligible(&mm->vmas[i]))
			return -EINVAL;
		*unpredictable = true;	/* depends on which ranges have page tables */
		return -EAGAIN;		/* stop here: nothing after it is predicted */
	default:			/* pageout, cold, willneed: nothing visible */
		return 0;
	}
}

/**
 * spec_do_madvise - madvise P ADDR LEN ADVICE (docs/semantics.md,
 * "madvise"); also pageout's range checks (ADVICE pageout).
 * @limit: populate at most this many pages (the model ran out of memory).
 *
 * Common checks: EINVAL for an unaligned ADDR; EINVAL when LEN != 0 but
 * round_up(LEN) = 0, or when ADDR + round_up(LEN) wraps (semantics.md
 * says ADDR + LEN; Linux adds the rounded length, probe:
 * madvise(2^64 - 4096, 1) = EINVAL); ok for LEN 0.  Then populate goes
 * page by page (spec_populate()); every other advice handles each mapping
 * that intersects the range in address order and returns ENOMEM if there
 * was a hole, or at once the first mapping's error.
 */
int spec_do_madvise(struct spec_mm *mm, uint64_t addr, uint64_t len, enum scn_advice adv,
		    uint64_t limit, bool *unpredictable)
{
	uint64_t rlen, end, cur;
	int unmapped = 0, err;

	if (addr & SPEC_PAGE_MASK)
		return -EINVAL;
	rlen = page_align(len);
	if (len && !rlen)
		return -EINVAL;
	end = addr + rlen;
	if (end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	if (adv == SCN_ADV_POPULATE_READ || adv == SCN_ADV_POPULATE_WRITE)
		return spec_populate(mm, addr, rlen, adv == SCN_ADV_POPULATE_WRITE, limit);

	for (cur = addr;;) {
		size_t i = spec_mm_find_next(mm, cur);
		uint64_t hi;

		if (i == mm->nr)
			return -ENOMEM;
		if (cur < mm->vmas[i].start) {
			unmapped = -ENOMEM;
			cur = mm->vmas[i].start;
			if (cur >= end)
				break;
		}
		hi = MIN(mm->vmas[i].end, end);
		err = madvise_one(mm, i, cur, hi, adv, unpredictable);
		if (err)
			return err;
		cur = hi;
		if (cur >= end)
			break;
	}
	return unmapped;
}
