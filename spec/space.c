/*
 * spec/space.c - address spaces for the reference semantics: the sorted
 * mapping array (split, merge, unmap, fork) and where mmap puts a new
 * mapping
 *
 * docs/semantics.md, "The address space", "Fork", and "mmap" step 7.
 * Written as plain linear scans over the sorted array: slow and obviously
 * right.  max_map_count (65530) is not enforced anywhere in spec/: a
 * scenario cannot reach it in practice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "spec/internal.h"

struct spec_mm *spec_mm_new(void)
{
	struct spec_mm *mm = xcalloc(1, sizeof(*mm));

	spec_pm_init(&mm->priv);
	return mm;
}

void spec_mm_free(struct spec_mm *mm)
{
	if (!mm)
		return;
	for (size_t i = 0; i < mm->nr; i++)
		spec_file_put(mm->vmas[i].file);
	free(mm->vmas);
	spec_pm_free(&mm->priv);
	free(mm->junctions);
	free(mm);
}

static void junction_add(struct spec_mm *mm, uint64_t addr)
{
	for (size_t i = 0; i < mm->nr_junctions; i++)
		if (mm->junctions[i] == addr)
			return;
	if (mm->nr_junctions == mm->cap_junctions) {
		mm->cap_junctions = mm->cap_junctions ? mm->cap_junctions * 2 : 8;
		mm->junctions = xrealloc(mm->junctions, mm->cap_junctions * sizeof(*mm->junctions));
	}
	mm->junctions[mm->nr_junctions++] = addr;
}

/* Forget the junctions in [lo, hi]: nothing is mapped there any more. */
static void junctions_remove(struct spec_mm *mm, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < mm->nr_junctions;)
		if (mm->junctions[i] >= lo && mm->junctions[i] <= hi)
			mm->junctions[i] = mm->junctions[--mm->nr_junctions];
		else
			i++;
}

/* spec_mm_junction_within - is there a junction strictly inside (lo, hi)? */
bool spec_mm_junction_within(const struct spec_mm *mm, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < mm->nr_junctions; i++)
		if (mm->junctions[i] > lo && mm->junctions[i] < hi)
			return true;
	return false;
}

/*
 * spec_mm_dup - the address space of a fork child (docs/semantics.md,
 * "Fork"): the same mappings; private pages copied as they are (a copy of
 * its own); pages that follow a file keep following it; shared mappings
 * share the same file, hidden shmem files included.
 */
struct spec_mm *spec_mm_dup(const struct spec_mm *mm)
{
	struct spec_mm *c = spec_mm_new();

	c->cap = c->nr = mm->nr;
	c->vmas = xmalloc((mm->nr ? mm->nr : 1) * sizeof(*c->vmas));
	for (size_t i = 0; i < mm->nr; i++) {
		c->vmas[i] = mm->vmas[i];
		if (c->vmas[i].file)
			spec_file_get(c->vmas[i].file);
	}
	spec_pm_free(&c->priv);
	spec_pm_clone(&c->priv, &mm->priv);
	for (size_t i = 0; i < mm->nr_junctions; i++)	/* fork copies VMAs one for one */
		junction_add(c, mm->junctions[i]);
	return c;
}

/* spec_mm_find_next - index of the first mapping with end > @addr (find_vma), or mm->nr. */
size_t spec_mm_find_next(const struct spec_mm *mm, uint64_t addr)
{
	size_t i = 0;

	while (i < mm->nr && mm->vmas[i].end <= addr)
		i++;
	return i;
}

/* spec_mm_insert - put @v (a free range, owning its file reference) at index @i. */
void spec_mm_insert(struct spec_mm *mm, size_t i, const struct spec_vma *v)
{
	if (mm->nr == mm->cap) {
		mm->cap = mm->cap ? mm->cap * 2 : 8;
		mm->vmas = xrealloc(mm->vmas, mm->cap * sizeof(*mm->vmas));
	}
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nr - i) * sizeof(*mm->vmas));
	mm->vmas[i] = *v;
	mm->nr++;
}

static void mm_remove_at(struct spec_mm *mm, size_t i)
{
	spec_file_put(mm->vmas[i].file);
	memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nr - i - 1) * sizeof(*mm->vmas));
	mm->nr--;
}

uint64_t spec_vma_file_index(const struct spec_vma *v, uint64_t addr)
{
	return v->pgoff + (addr - v->start) / SPEC_PAGE_SIZE;
}

/*
 * spec_mm_split - make @addr a piece boundary.  Returns the index of the
 * first piece starting at or above @addr.
 */
size_t spec_mm_split(struct spec_mm *mm, uint64_t addr)
{
	size_t i = spec_mm_find_next(mm, addr);
	struct spec_vma hi;

	if (i == mm->nr || mm->vmas[i].start >= addr)
		return i;
	hi = mm->vmas[i];
	hi.start = addr;
	hi.pgoff = spec_vma_file_index(&mm->vmas[i], addr);	/* anon: addr / 4096 */
	if (hi.file)
		spec_file_get(hi.file);
	mm->vmas[i].end = addr;
	spec_mm_insert(mm, i + 1, &hi);
	return i + 1;
}

/*
 * vma_mergeable - @a directly followed by @b with the same attributes:
 * the kernel would make them one VMA (anon_vma compatibility is not
 * modelled: spec/ has no anon_vmas).
 */
static bool vma_mergeable(const struct spec_vma *a, const struct spec_vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->kind != b->kind ||
	    a->file != b->file || a->growsdown != b->growsdown || a->thp != b->thp)
		return false;
	if (spec_is_file_kind(a->kind) &&
	    a->pgoff + (a->end - a->start) / SPEC_PAGE_SIZE != b->pgoff)
		return false;
	return true;
}

/*
 * spec_mm_merge_around - merge piece @i with its neighbours where the
 * kernel would (after mmap, or after mprotect/madvise changed the piece).
 * A merge of private pieces leaves a junction: the kernel may not have
 * merged them (anon_vma rules spec/ does not model).
 * Returns the index of the piece that now contains the old piece @i.
 */
size_t spec_mm_merge_around(struct spec_mm *mm, size_t i)
{
	if (i + 1 < mm->nr && vma_mergeable(&mm->vmas[i], &mm->vmas[i + 1])) {
		if (spec_is_private(mm->vmas[i].kind))
			junction_add(mm, mm->vmas[i].end);
		mm->vmas[i].end = mm->vmas[i + 1].end;
		mm_remove_at(mm, i + 1);
	}
	if (i > 0 && vma_mergeable(&mm->vmas[i - 1], &mm->vmas[i])) {
		if (spec_is_private(mm->vmas[i].kind))
			junction_add(mm, mm->vmas[i].start);
		mm->vmas[i - 1].end = mm->vmas[i].end;
		mm_remove_at(mm, i);
		i--;
	}
	return i;
}

/*
 * spec_mm_unmap - remove every mapping in [lo, hi), cutting pieces at the
 * ends, and the private pages there (docs/semantics.md, "munmap").
 */
void spec_mm_unmap(struct spec_mm *mm, uint64_t lo, uint64_t hi)
{
	size_t i;

	spec_mm_split(mm, lo);
	spec_mm_split(mm, hi);
	i = spec_mm_find_next(mm, lo);
	while (i < mm->nr && mm->vmas[i].start < hi)
		mm_remove_at(mm, i);
	spec_pm_remove_range(&mm->priv, lo / SPEC_PAGE_SIZE, hi / SPEC_PAGE_SIZE);
	junctions_remove(mm, lo, hi);
}

/* ------------------------------------------------------------------ */
/* Address choice: docs/semantics.md "mmap" step 7, as Linux 6.18 does it. */

/* vm_start_gap: a growsdown mapping keeps stack_guard_gap free below it. */
static uint64_t start_gap(const struct spec_vma *v)
{
	if (!v->growsdown)
		return v->start;
	return v->start >= SPEC_STACK_GUARD_GAP ? v->start - SPEC_STACK_GUARD_GAP : 0;
}

/*
 * The gaps are the maximal ranges with no mapping: gap i lies below
 * mapping i (gap mm->nr lies above the last mapping).  Clipped to
 * [low, high) it is [*cs, *ce).
 */
static bool gap_clipped(const struct spec_mm *mm, size_t i, uint64_t low, uint64_t high,
			uint64_t len, uint64_t *cs, uint64_t *ce)
{
	uint64_t gs = i ? mm->vmas[i - 1].end : 0;
	uint64_t ge = i < mm->nr ? mm->vmas[i].start : UINT64_MAX;

	*cs = MAX(gs, low);
	*ce = MIN(ge, high);
	return *ce > *cs && *ce - *cs >= len;
}

/*
 * unmapped_area_topdown - Linux's top-down search in [low, high): take the
 * highest gap (between two consecutive mappings, clipped to [low, high))
 * that can hold len; if the mapping N right above it is growsdown and its
 * guard reaches below the gap's end, search again with high =
 * start_gap(N); otherwise the result is gap_end - len.  The low limit is
 * raised to mmap_min_addr, as Linux does.
 *
 * This is not "the highest free a" of semantics.md, where free looks at
 * the mapping right above the range: after the retry Linux skips all of
 * [start_gap(N), N.start), also the free ranges below a mapping V that
 * sits inside N's guard gap.  Probe (growsdown G = [B-64K, B), V =
 * [G-8K, G-4K), nothing else near): mmap any 16K returns G-24K (below V,
 * as "highest free a" says too), then mmap any 4K returns G-1M-4K, not
 * G-28K.  Nor does Linux look below mmap_min_addr: with [0x10000,
 * mmap_base) full and [0x1000, 0x10000) free, mmap any 4K goes to the
 * bottom-up search.
 */
static bool unmapped_area_topdown(const struct spec_mm *mm, uint64_t len, uint64_t low,
				  uint64_t high, uint64_t *addr)
{
	low = MAX(low, SPEC_MMAP_MIN_ADDR);
	for (;;) {
		uint64_t cs, ce, gap_end = 0;
		size_t next = 0;
		bool found = false;

		for (size_t i = 0; i <= mm->nr; i++) {
			if (gap_clipped(mm, i, low, high, len, &cs, &ce)) {
				found = true;
				gap_end = ce;
				next = i;
			}
		}
		if (!found)
			return false;
		if (next < mm->nr && mm->vmas[next].growsdown &&
		    start_gap(&mm->vmas[next]) < gap_end) {
			high = start_gap(&mm->vmas[next]);
			continue;
		}
		*addr = gap_end - len;
		return true;
	}
}

/* unmapped_area - the lowest fit in [low, high), Linux's bottom-up search. */
static bool unmapped_area(const struct spec_mm *mm, uint64_t len, uint64_t low, uint64_t high,
			  uint64_t *addr)
{
	low = MAX(low, SPEC_MMAP_MIN_ADDR);
	for (;;) {
		uint64_t cs = 0, ce;
		size_t i;

		for (i = 0; i <= mm->nr; i++)
			if (gap_clipped(mm, i, low, high, len, &cs, &ce))
				break;
		if (i > mm->nr)
			return false;
		if (i < mm->nr && mm->vmas[i].growsdown && start_gap(&mm->vmas[i]) < cs + len) {
			low = mm->vmas[i].end;
			continue;
		}
		*addr = cs;
		return true;
	}
}

/*
 * hint_free - Linux honours a hint H when H + LEN <= TASK_SIZE and the
 * first mapping ending above H starts (less its guard gap) at or above
 * H + LEN (x86's arch_get_unmapped_area_topdown; only that one mapping's
 * guard counts, probe: growsdown G at X, a 4K mapping at X-512K, hint
 * X-600K is honoured).
 */
static bool hint_free(const struct spec_mm *mm, uint64_t hint, uint64_t len)
{
	size_t i;

	if (SPEC_TASK_SIZE - len < hint)
		return false;
	i = spec_mm_find_next(mm, hint);
	return i == mm->nr || hint + len <= start_gap(&mm->vmas[i]);
}

/*
 * arch_get_unmapped_area_topdown - a hint if free, else the top-down
 * search below mmap_base, else bottom-up from TASK_UNMAPPED_BASE.
 */
static int arch_get_unmapped_area(const struct spec_mm *mm, uint64_t hint, uint64_t len,
				  uint64_t *addr)
{
	if (len > SPEC_TASK_SIZE)
		return -ENOMEM;
	if (hint && hint_free(mm, hint, len)) {
		*addr = hint;
		return 0;
	}
	if (unmapped_area_topdown(mm, len, SPEC_PAGE_SIZE, SPEC_MMAP_BASE, addr))
		return 0;
	if (unmapped_area(mm, len, SPEC_TASK_UNMAPPED_BASE, SPEC_TASK_SIZE, addr))
		return 0;
	return -ENOMEM;
}

/**
 * spec_get_unmapped_area - choose the address of a new mapping
 * (docs/semantics.md, "mmap" step 7).
 * @hint: 0 for no hint (`any`), else the hint as step 2 left it.
 *
 * Fixed: ADDR itself; ENOMEM when ADDR + LEN > TASK_SIZE, then EINVAL when
 * ADDR is not page aligned.  semantics.md has these two the other way
 * round; Linux's __get_unmapped_area() checks TASK_SIZE first (probe:
 * mmap(0x7ffffffff001, 4096, MAP_FIXED) = ENOMEM).
 *
 * THP alignment (an anonymous mapping, private or shared, no hint, LEN a
 * multiple of 2 MiB, thp not never): search for LEN + 2 MiB as above; the
 * result r gives round_down(r + 2 MiB, 2 MiB), which for a top-down r is
 * round_down(gap_end - LEN, 2 MiB) as semantics.md says.  When there is no
 * such space below mmap_base, Linux's padded search goes on bottom-up
 * before the plain search is tried; spec/ does the same (probe: with
 * everything below mmap_base mapped, mmap any 2M returns 0x7ffff8000000,
 * a second one 0x7ffff8400000).
 */
int spec_get_unmapped_area(const struct spec_mm *mm, enum scn_thp thp, bool anon, bool fixed,
			   uint64_t hint, uint64_t len, uint64_t *addr)
{
	if (len > SPEC_TASK_SIZE)
		return -ENOMEM;
	if (fixed) {
		if (hint > SPEC_TASK_SIZE - len)
			return -ENOMEM;
		if (hint & SPEC_PAGE_MASK)
			return -EINVAL;
		*addr = hint;
		return 0;
	}
	if (anon && !hint && len % SPEC_PMD_SIZE == 0 && thp != SCN_THP_NEVER) {
		uint64_t r;

		if (arch_get_unmapped_area(mm, 0, len + SPEC_PMD_SIZE, &r) == 0) {
			*addr = spec_round_down(r + SPEC_PMD_SIZE, SPEC_PMD_SIZE);
			return 0;
		}
	}
	return arch_get_unmapped_area(mm, hint, len, addr);
}
