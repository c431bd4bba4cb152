/*
 * mm/vma_tree.c - the per-mm VMA tree (model)
 *
 * Models: the VMA index of an mm and the free-area search of
 *         get_unmapped_area.  Linux 7.0 keeps VMAs in a maple tree; the
 *         model keeps them as Linux did before 6.1: an rbtree by vm_start
 *         augmented with rb_subtree_gap (the largest free gap below any
 *         VMA of the subtree, stack guard gaps included), plus a sorted
 *         doubly linked list.  The search answers are the same: the
 *         highest (or lowest) free range of the requested length.
 * Leaves out: the per-VMA lock and RCU lookups (every lookup here holds
 *         mmap_lock).
 */
#include <stdio.h>

#include "lib/rbtree_augmented.h"
#include "lib/util.h"
#include "mm/internal.h"

/* The plain gap between this VMA and the previous one (or address 0). */
static unsigned long vma_compute_gap(struct vm_area_struct *vma)
{
	return vma->vm_start - (vma->vm_prev ? vma->vm_prev->vm_end : 0);
}

RB_DECLARE_CALLBACKS_MAX(static, vma_gap_callbacks, struct vm_area_struct, vm_rb,
			 unsigned long, rb_subtree_gap, vma_compute_gap);

void vma_gap_update(struct vm_area_struct *vma)
{
	vma_gap_callbacks_propagate(&vma->vm_rb, NULL);
}

/* After @vma's vm_start or vm_end changed in place. */
static void update_gaps_around(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_gap_update(vma);
	if (vma->vm_next)
		vma_gap_update(vma->vm_next);
	else
		mm->highest_vm_end = vma->vm_end;
}

/**
 * vma_tree_insert - link @vma into @mm's tree and list.  The range must be
 * free; the caller links the file (vma_link_file) separately.
 * Context: mmap_lock held for writing.
 */
void vma_tree_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.rb_node, *parent = NULL;
	struct vm_area_struct *prev = NULL, *next;

	while (*link) {
		struct vm_area_struct *cur = rb_entry(*link, struct vm_area_struct, vm_rb);

		parent = *link;
		VM_BUG_ON_VMA(vma->vm_start < cur->vm_end && cur->vm_start < vma->vm_end, cur);
		if (vma->vm_end <= cur->vm_start) {
			link = &(*link)->rb_left;
		} else {
			prev = cur;
			link = &(*link)->rb_right;
		}
	}
	next = prev ? prev->vm_next : mm->mmap;
	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;

	if (next)
		vma_gap_update(next);
	else
		mm->highest_vm_end = vma->vm_end;
	rb_link_node(&vma->vm_rb, parent, link);
	vma->rb_subtree_gap = 0;
	vma_gap_update(vma);
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	mm->map_count++;
}

/**
 * vma_tree_erase - unlink @vma from @mm's tree and list.
 * Context: mmap_lock held for writing.
 */
void vma_tree_erase(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma->vm_prev, *next = vma->vm_next;

	rb_erase_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	if (prev)
		prev->vm_next = next;
	else
		mm->mmap = next;
	if (next) {
		next->vm_prev = prev;
		vma_gap_update(next);
	} else {
		mm->highest_vm_end = prev ? prev->vm_end : 0;
	}
	vma->vm_next = vma->vm_prev = NULL;
	mm->map_count--;
}

/* Called by vma.c after changing vm_start/vm_end of a linked VMA. */
void vma_adjust_start_end(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			  pgoff_t pgoff)
{
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
	update_gaps_around(vma->vm_mm, vma);
}

/* The first VMA with vm_end > addr, or NULL. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct rb_node *node = mm->mm_rb.rb_node;
	struct vm_area_struct *found = NULL;

	while (node) {
		struct vm_area_struct *vma = rb_entry(node, struct vm_area_struct, vm_rb);

		if (vma->vm_end > addr) {
			found = vma;
			if (vma->vm_start <= addr)
				break;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma) {
		*pprev = vma->vm_prev;
	} else {
		struct vm_area_struct *last = mm->mmap;

		while (last && last->vm_next)
			last = last->vm_next;
		*pprev = last;
	}
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (vma && end <= vma->vm_start)
		vma = NULL;
	return vma;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma && addr < vma->vm_start)
		vma = NULL;
	return vma;
}

/*
 * empty_area_rev - the highest plain gap of at least @length inside
 * [low_limit, high_limit): returns the top-aligned start, or -ENOMEM
 * (mas_empty_area_rev, through the gap augmentation).
 */
static unsigned long empty_area_rev(struct mm_struct *mm, unsigned long length,
				    unsigned long low_limit, unsigned long high_limit)
{
	struct vm_area_struct *vma;
	unsigned long gap_start, gap_end, high, low;

	if (high_limit < length)
		return (unsigned long)-ENOMEM;
	high = high_limit - length;		/* highest acceptable gap start */
	if (low_limit > high)
		return (unsigned long)-ENOMEM;
	low = low_limit + length;		/* lowest acceptable gap end */

	gap_start = mm->highest_vm_end;
	if (gap_start <= high) {
		gap_end = high_limit;
		goto found;
	}
	if (RB_EMPTY_ROOT(&mm->mm_rb))
		return (unsigned long)-ENOMEM;
	vma = rb_entry(mm->mm_rb.rb_node, struct vm_area_struct, vm_rb);
	if (vma->rb_subtree_gap < length)
		return (unsigned long)-ENOMEM;

	for (;;) {
		gap_start = vma->vm_prev ? vma->vm_prev->vm_end : 0;
		if (gap_start <= high && vma->vm_rb.rb_right) {
			struct vm_area_struct *right =
				rb_entry(vma->vm_rb.rb_right, struct vm_area_struct, vm_rb);

			if (right->rb_subtree_gap >= length) {
				vma = right;
				continue;
			}
		}
check_current:
		gap_end = vma->vm_start;
		if (gap_end < low)
			return (unsigned long)-ENOMEM;
		if (gap_start <= high && gap_end > gap_start && gap_end - gap_start >= length) {
			if (gap_end > high_limit)
				gap_end = high_limit;
			goto found;
		}
		if (vma->vm_rb.rb_left) {
			struct vm_area_struct *left =
				rb_entry(vma->vm_rb.rb_left, struct vm_area_struct, vm_rb);

			if (left->rb_subtree_gap >= length) {
				vma = left;
				continue;
			}
		}
		/* Up the tree to the next candidate on the left. */
		for (;;) {
			struct rb_node *prev = &vma->vm_rb;

			if (!rb_parent(prev))
				return (unsigned long)-ENOMEM;
			vma = rb_entry(rb_parent(prev), struct vm_area_struct, vm_rb);
			if (prev == vma->vm_rb.rb_right) {
				gap_start = vma->vm_prev ? vma->vm_prev->vm_end : 0;
				goto check_current;
			}
		}
	}
found:
	gap_end -= length;
	VM_BUG_ON(gap_end < low_limit || gap_end < gap_start);
	return gap_end;
}

/**
 * unmapped_area_topdown - where a new range of @length goes, searching
 * down from @high_limit: the top of the highest plain gap that fits; if
 * the VMA right above that range grows down and its guard gap reaches
 * into the range, the search starts again below the guard gap.  The low
 * limit is at least mmap_min_addr.  Returns the address or -ENOMEM.
 * Context: mmap_lock held.
 */
unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long length,
				    unsigned long low_limit, unsigned long high_limit)
{
	if (low_limit < MMAP_MIN_ADDR)
		low_limit = MMAP_MIN_ADDR;
	for (;;) {
		unsigned long gap = empty_area_rev(mm, length, low_limit, high_limit);
		struct vm_area_struct *next;

		if (IS_ERR_ADDR(gap))
			return gap;
		next = find_vma(mm, gap);
		if (next && (next->vm_flags & VM_GROWSDOWN) &&
		    vm_start_gap(next) <= gap + length - 1) {
			high_limit = vm_start_gap(next);
			continue;
		}
		return gap;
	}
}

/**
 * unmapped_area - the bottom-up search (the top-down search's fallback):
 * the start of the lowest plain gap at or above @low_limit that fits;
 * past a growsdown VMA right above the range when its guard gap reaches
 * into the range.  Returns the address or -ENOMEM.
 */
unsigned long unmapped_area(struct mm_struct *mm, unsigned long length,
			    unsigned long low_limit, unsigned long high_limit)
{
	if (low_limit < MMAP_MIN_ADDR)
		low_limit = MMAP_MIN_ADDR;
	for (;;) {
		unsigned long gap_start = 0, gap = 0;
		struct vm_area_struct *vma, *next = NULL;
		bool found = false;

		for (vma = mm->mmap;; vma = vma->vm_next) {
			unsigned long gap_end = vma ? vma->vm_start : high_limit;

			gap = MAX(gap_start, low_limit);
			if (gap_end > high_limit)
				gap_end = high_limit;
			if (gap + length >= gap && gap + length <= gap_end) {
				found = true;
				next = vma;
				break;
			}
			if (!vma)
				break;
			gap_start = vma->vm_end;
			if (gap_start >= high_limit)
				break;
		}
		if (!found)
			return (unsigned long)-ENOMEM;
		if (next && (next->vm_flags & VM_GROWSDOWN) &&
		    vm_start_gap(next) < gap + length - 1) {
			low_limit = next->vm_end;
			continue;
		}
		return gap;
	}
}

/* I8: sorted, disjoint, linked both ways, gaps right, map_count right. */
static unsigned long check_subtree(struct rb_node *node, char **why)
{
	struct vm_area_struct *vma;
	unsigned long max;

	if (!node)
		return 0;
	vma = rb_entry(node, struct vm_area_struct, vm_rb);
	unsigned long left = check_subtree(node->rb_left, why);
	unsigned long right = check_subtree(node->rb_right, why);

	max = MAX(vma_compute_gap(vma), MAX(left, right));
	if (max != vma->rb_subtree_gap && !*why)
		*why = xasprintf("vma#%lu rb_subtree_gap %#lx, computed %#lx", vma->vm_seq,
				 vma->rb_subtree_gap, max);
	return max;
}

bool vma_tree_validate(struct mm_struct *mm, char **why)
{
	struct vm_area_struct *prev = NULL;
	struct rb_node *node = rb_first(&mm->mm_rb);
	int count = 0;

	*why = NULL;
	for (struct vm_area_struct *vma = mm->mmap; vma; prev = vma, vma = vma->vm_next, count++) {
		if (!node || rb_entry(node, struct vm_area_struct, vm_rb) != vma) {
			*why = xasprintf("vma#%lu: list and tree disagree", vma->vm_seq);
			return false;
		}
		node = rb_next(node);
		if (vma->vm_prev != prev || vma->vm_mm != mm ||
		    !PAGE_ALIGNED(vma->vm_start) || !PAGE_ALIGNED(vma->vm_end) ||
		    vma->vm_start >= vma->vm_end || vma->vm_end > TASK_SIZE ||
		    (prev && prev->vm_end > vma->vm_start)) {
			*why = xasprintf("vma#%lu [%#lx-%#lx): bad range, order or links", vma->vm_seq,
					 vma->vm_start, vma->vm_end);
			return false;
		}
	}
	if (node) {
		*why = xasprintf("tree has nodes the list does not");
		return false;
	}
	if (count != mm->map_count) {
		*why = xasprintf("map_count %d, VMAs %d", mm->map_count, count);
		return false;
	}
	if (mm->highest_vm_end != (prev ? prev->vm_end : 0)) {
		*why = xasprintf("highest_vm_end %#lx wrong", mm->highest_vm_end);
		return false;
	}
	check_subtree(mm->mm_rb.rb_node, why);
	return *why == NULL;
}
