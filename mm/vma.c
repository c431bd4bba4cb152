/*
 * mm/vma.c - VMA life cycle: split, merge, expand, shrink, munmap (model)
 *
 * Models: vm_area_alloc/dup/free, __split_vma, vma_merge_new_range,
 *         vma_merge_existing_range (through vma_modify), vma_expand,
 *         copy_vma with vma_merge_copied_range, vma_merge_extend (mremap),
 *         vma_shrink, dup_anon_vma, anon_vma_merge, vma_prepare and
 *         vma_complete (the rmap-tree updates under i_mmap_rwsem and the
 *         anon_vma lock, both for writing), do_vmi_munmap with unmap and
 *         free_pgtables, and the anon_vma compatibility rules of Linux 7.0
 *         (is_mergeable_anon_vma, vma_had_uncowed_parents).
 * A VMA whose range or pgoff changes leaves and re-enters every rmap tree
 * it is in, so it moves to the end of its group of equal start pgoffs.
 * See lock ordering in mm/rmap.c.
 * Leaves out: mempolicy, userfaultfd, uprobes, VM_SPECIAL mappings,
 *         accounting (VM_ACCOUNT), sealing.
 */
#include "mm/internal.h"

/* ------------------------------------------------------------------ */
/* allocation */

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = vm_alloc(VM_ALLOC_VMA, sizeof(*vma));

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	RB_CLEAR_NODE(&vma->shared.rb);
	RB_CLEAR_NODE(&vma->vm_rb);
	vma->vm_seq = __atomic_add_fetch(&machine->next_vma_seq, 1, __ATOMIC_RELAXED);
	return vma;
}

/* A copy of @orig's fields; no tree membership, no anon_vma_chain. */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = vm_area_alloc(orig->vm_mm);

	if (!vma)
		return NULL;
	vma->vm_start = orig->vm_start;
	vma->vm_end = orig->vm_end;
	vma->vm_flags = orig->vm_flags;
	vma->vm_page_prot = orig->vm_page_prot;
	vma->vm_pgoff = orig->vm_pgoff;
	vma->vm_file = orig->vm_file;
	vma->anon_vma = orig->anon_vma;
	return vma;
}

void vm_area_free(struct vm_area_struct *vma)
{
	VM_BUG_ON_VMA(!list_empty(&vma->anon_vma_chain), vma);
	VM_BUG_ON_VMA(!RB_EMPTY_NODE(&vma->shared.rb), vma);
	vm_free(VM_ALLOC_VMA, vma);
}

/*
 * vma_wants_writenotify - shared writable mappings of files that track
 * dirty pages start read-only so the first write faults (page_mkwrite);
 * shmem does not track dirtiness, so its shared mappings map writable.
 */
bool vma_wants_writenotify(const struct vm_area_struct *vma)
{
	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) != (VM_WRITE | VM_SHARED))
		return false;
	return vma->vm_file && !vma->vm_file->f_inode->shmem;
}

/*
 * vm_page_prot: may a fault map a page writable at once (no COW to break)?
 * WRITE_ONCE: rmap walkers read it without mmap_lock (remove_migration_pte).
 */
void vma_set_page_prot(struct vm_area_struct *vma)
{
	unsigned long prot = 0;

	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED) &&
	    !vma_wants_writenotify(vma))
		prot = _PAGE_RW;
	__atomic_store_n(&vma->vm_page_prot, prot, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* i_mmap membership */

static void vma_link_file_locked(struct vm_area_struct *vma, struct address_space *mapping)
{
	if (vma->vm_flags & VM_SHARED)
		mapping->i_mmap_writable++;
	vma_interval_tree_insert(vma, &mapping->i_mmap);
}

static void remove_shared_vm_struct(struct vm_area_struct *vma, struct address_space *mapping)
{
	if (vma->vm_flags & VM_SHARED)
		mapping->i_mmap_writable--;
	vma_interval_tree_remove(vma, &mapping->i_mmap);
	RB_CLEAR_NODE(&vma->shared.rb);
}

/**
 * vma_link_file - insert @vma into its file's i_mmap tree.
 * Context: takes i_mmap_rwsem for writing.
 */
void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping;

	if (!vma->vm_file)
		return;
	mapping = vma->vm_file->f_mapping;
	i_mmap_lock_write(mapping);
	vma_link_file_locked(vma, mapping);
	i_mmap_unlock_write(mapping);
}

void unlink_file_vma(struct vm_area_struct *vma)
{
	struct address_space *mapping;

	if (!vma->vm_file || RB_EMPTY_NODE(&vma->shared.rb))
		return;
	mapping = vma->vm_file->f_mapping;
	i_mmap_lock_write(mapping);
	remove_shared_vm_struct(vma, mapping);
	i_mmap_unlock_write(mapping);
}

/* vma_link: the mm's tree, then the file's i_mmap. */
int vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_tree_insert(mm, vma);
	vma_link_file(vma);
	return 0;
}

/* remove_vma: the VMA is out of every tree; drop its file and free it. */
void remove_vma(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		fput(vma->vm_file);
	vm_area_free(vma);
}

/* ------------------------------------------------------------------ */
/* vma_prepare / vma_complete (mm/vma.c) */

struct vma_prepare {
	struct vm_area_struct *vma;	/* whose range changes */
	struct vm_area_struct *adj_next;	/* a second VMA whose range changes */
	struct file *file;
	struct address_space *mapping;
	struct anon_vma *anon_vma;
	struct vm_area_struct *insert;	/* split: the new VMA */
	struct vm_area_struct *remove;	/* merge: VMAs absorbed by vma */
	struct vm_area_struct *remove2;
	bool anon_locked;		/* the caller holds the anon_vma lock for writing */
};

static void init_vma_prep(struct vma_prepare *vp, struct vm_area_struct *vma)
{
	*vp = (struct vma_prepare){ .vma = vma, .anon_vma = vma->anon_vma, .file = vma->vm_file };
	if (vp->file)
		vp->mapping = vp->file->f_mapping;
}

/*
 * vma_prepare - take the rmap locks for writing and take the VMAs whose
 * range changes out of the rmap trees.
 * Context: mmap_lock held for writing; takes i_mmap_rwsem, then the anon_vma
 * lock, both for writing; may yield.
 */
static void vma_prepare(struct vma_prepare *vp)
{
	if (vp->file) {
		i_mmap_lock_write(vp->mapping);
		if (vp->insert && vp->insert->vm_file)
			vma_link_file_locked(vp->insert, vp->insert->vm_file->f_mapping);
	}
	if (vp->anon_vma) {
		if (!vp->anon_locked)
			anon_vma_lock_write(vp->anon_vma);
		anon_vma_interval_tree_pre_update_vma(vp->vma);
		if (vp->adj_next)
			anon_vma_interval_tree_pre_update_vma(vp->adj_next);
	}
	if (vp->file) {
		vma_interval_tree_remove(vp->vma, &vp->mapping->i_mmap);
		if (vp->adj_next)
			vma_interval_tree_remove(vp->adj_next, &vp->mapping->i_mmap);
	}
}

static void anon_vma_merge(struct vm_area_struct *vma, struct vm_area_struct *next)
{
	VM_BUG_ON_VMA(vma->anon_vma != next->anon_vma, vma);
	unlink_anon_vmas(next);
}

/*
 * vma_complete - put the changed VMAs back into the rmap trees (after
 * every VMA with an equal start pgoff), link a split's new VMA into the
 * mm, drop the locks, then free the VMAs a merge absorbed.
 */
static void vma_complete(struct vma_prepare *vp, struct mm_struct *mm)
{
	if (vp->file) {
		if (vp->adj_next)
			vma_interval_tree_insert(vp->adj_next, &vp->mapping->i_mmap);
		vma_interval_tree_insert(vp->vma, &vp->mapping->i_mmap);
	}
	if (vp->remove && vp->file) {
		remove_shared_vm_struct(vp->remove, vp->mapping);
		if (vp->remove2)
			remove_shared_vm_struct(vp->remove2, vp->mapping);
	} else if (vp->insert) {
		vma_tree_insert(mm, vp->insert);
	}
	if (vp->anon_vma) {
		anon_vma_interval_tree_post_update_vma(vp->vma);
		if (vp->adj_next)
			anon_vma_interval_tree_post_update_vma(vp->adj_next);
		if (!vp->anon_locked)
			anon_vma_unlock_write(vp->anon_vma);
	}
	if (vp->file)
		i_mmap_unlock_write(vp->mapping);

	for (struct vm_area_struct *rm = vp->remove; rm; rm = rm == vp->remove ? vp->remove2 : NULL) {
		if (rm->vm_file)
			fput(rm->vm_file);
		if (rm->anon_vma)
			anon_vma_merge(vp->vma, rm);
		vm_area_free(rm);
	}
}

/* ------------------------------------------------------------------ */
/* split */

/*
 * split_vma_nocount - cut @vma at @addr.  With @new_below the new VMA is
 * the lower part, otherwise the upper part; @vma keeps the other part.
 * The kernel's __split_vma: munmap splits without the max_map_count check
 * (it checks on its own, once), everyone else goes through split_vma.
 * Returns 0 or -ENOMEM (nothing changed).
 * Context: mmap_lock held for writing; takes the rmap locks; may yield.
 */
static int split_vma_nocount(struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *new;
	struct vma_prepare vp;

	VM_BUG_ON_VMA(addr <= vma->vm_start || addr >= vma->vm_end, vma);
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	if (new_below) {
		new->vm_end = addr;
	} else {
		new->vm_start = addr;
		new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	}
	if (anon_vma_clone(new, vma, VMA_OP_SPLIT)) {
		new->anon_vma = NULL;
		vm_area_free(new);
		return -ENOMEM;
	}
	if (new->vm_file)
		get_file(new->vm_file);

	init_vma_prep(&vp, vma);
	vp.insert = new;
	vma_prepare(&vp);
	if (new_below)
		vma_adjust_start_end(vma, addr, vma->vm_end,
				     vma->vm_pgoff + ((addr - new->vm_start) >> PAGE_SHIFT));
	else
		vma_adjust_start_end(vma, vma->vm_start, addr, vma->vm_pgoff);
	vma_complete(&vp, mm);
	return 0;
}

/**
 * split_vma - split_vma_nocount, refused with -ENOMEM when the mm already
 * has max_map_count VMAs.
 */
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	if (vma->vm_mm->map_count >= MAX_MAP_COUNT)
		return -ENOMEM;
	return split_vma_nocount(vma, addr, new_below);
}

/* ------------------------------------------------------------------ */
/* merge rules */

static bool vma_had_uncowed_parents(const struct vm_area_struct *vma)
{
	return vma && vma->anon_vma && !list_is_singular(&vma->anon_vma_chain);
}

/*
 * is_mergeable_anon_vma - may @src's pages (anon_vma @src_anon) join @tgt?
 * @src is the existing VMA being merged, or NULL for a new range.
 */
static bool is_mergeable_anon_vma(const struct vm_area_struct *tgt,
				  const struct vm_area_struct *src, const struct anon_vma *src_anon)
{
	const struct anon_vma *tgt_anon = tgt->anon_vma;

	if (!tgt_anon && src_anon)
		return !vma_had_uncowed_parents(src);
	if (tgt_anon && !src_anon)
		return !vma_had_uncowed_parents(tgt);
	return src_anon == tgt_anon;
}

static bool are_anon_vmas_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return !a->anon_vma || !b->anon_vma || a->anon_vma == b->anon_vma;
}

static bool is_mergeable_vma(const struct vm_area_struct *vma, unsigned long vm_flags,
			     const struct file *file)
{
	return !((vma->vm_flags ^ vm_flags) & ~VM_IGNORE_MERGE) && vma->vm_file == file;
}

/* The candidate merge of [start, end) (flags, file, pgoff, anon) with its neighbours. */
struct vma_merge {
	struct vm_area_struct *prev, *middle, *next;
	unsigned long start, end;
	pgoff_t pgoff;
	unsigned long vm_flags;
	struct file *file;
	struct anon_vma *anon_vma;
};

static bool can_vma_merge_left(const struct vma_merge *vmg)
{
	const struct vm_area_struct *prev = vmg->prev;

	return prev && prev->vm_end == vmg->start &&
	       is_mergeable_vma(prev, vmg->vm_flags, vmg->file) &&
	       is_mergeable_anon_vma(prev, vmg->middle, vmg->anon_vma) &&
	       prev->vm_pgoff + vma_pages(prev) == vmg->pgoff;
}

static bool can_vma_merge_right(const struct vma_merge *vmg, bool can_merge_left)
{
	const struct vm_area_struct *next = vmg->next;

	if (!next || vmg->end != next->vm_start || !is_mergeable_vma(next, vmg->vm_flags, vmg->file) ||
	    !is_mergeable_anon_vma(next, vmg->middle, vmg->anon_vma) ||
	    next->vm_pgoff != vmg->pgoff + ((vmg->end - vmg->start) >> PAGE_SHIFT))
		return false;
	return !can_merge_left || are_anon_vmas_compatible(vmg->prev, next);
}

/* dup_anon_vma: @dst takes over @src's pages, so it needs src's anon_vma chain. */
static int dup_anon_vma(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	if (src->anon_vma && !dst->anon_vma) {
		dst->anon_vma = src->anon_vma;
		if (anon_vma_clone(dst, src, VMA_OP_MERGE_UNFAULTED)) {
			dst->anon_vma = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * commit_merge - @target takes [start, end) with @pgoff; @adj (if any)
 * shrinks to [adj_start, adj_end); @remove and @remove2 are absorbed.
 */
static void __commit_merge(struct vm_area_struct *target, unsigned long start, unsigned long end,
			   pgoff_t pgoff, struct vm_area_struct *adj, unsigned long adj_start,
			   unsigned long adj_end, pgoff_t adj_pgoff, struct vm_area_struct *remove,
			   struct vm_area_struct *remove2, bool anon_locked)
{
	struct mm_struct *mm = target->vm_mm;
	struct vma_prepare vp;

	init_vma_prep(&vp, target);
	vp.anon_locked = anon_locked;
	vp.adj_next = adj;
	vp.remove = remove;
	vp.remove2 = remove2;
	if (!vp.anon_vma && adj)
		vp.anon_vma = adj->anon_vma;
	vma_prepare(&vp);
	/* Leave the mm tree disjoint at every step: removals and shrinks first. */
	if (remove)
		vma_tree_erase(mm, remove);
	if (remove2)
		vma_tree_erase(mm, remove2);
	if (adj)
		vma_adjust_start_end(adj, adj_start, adj_end, adj_pgoff);
	vma_adjust_start_end(target, start, end, pgoff);
	vma_complete(&vp, mm);
}

static void commit_merge(struct vm_area_struct *target, unsigned long start, unsigned long end,
			 pgoff_t pgoff, struct vm_area_struct *adj, unsigned long adj_start,
			 unsigned long adj_end, pgoff_t adj_pgoff, struct vm_area_struct *remove,
			 struct vm_area_struct *remove2)
{
	__commit_merge(target, start, end, pgoff, adj, adj_start, adj_end, adj_pgoff, remove,
		       remove2, false);
}

/**
 * vma_merge_new_range - try to map [addr, end) by growing a neighbour
 * (mmap).  Returns the VMA that now covers the range, or NULL.
 * Context: mmap_lock held for writing; may take the rmap locks.
 */
struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm, unsigned long addr,
					   unsigned long end, unsigned long vm_flags,
					   struct file *file, pgoff_t pgoff)
{
	struct vma_merge vmg = { .start = addr, .end = end, .pgoff = pgoff, .vm_flags = vm_flags,
				 .file = file };
	struct vm_area_struct *next = find_vma_prev(mm, addr, &vmg.prev);
	bool left, right;

	vmg.next = next && next->vm_start == end ? next : NULL;
	left = can_vma_merge_left(&vmg);
	right = can_vma_merge_right(&vmg, left);
	if (left && right) {
		if (dup_anon_vma(vmg.prev, vmg.next))
			return NULL;
		commit_merge(vmg.prev, vmg.prev->vm_start, vmg.next->vm_end, vmg.prev->vm_pgoff,
			     NULL, 0, 0, 0, vmg.next, NULL);
		return vmg.prev;
	}
	if (left) {
		commit_merge(vmg.prev, vmg.prev->vm_start, end, vmg.prev->vm_pgoff, NULL, 0, 0, 0,
			     NULL, NULL);
		return vmg.prev;
	}
	if (right) {
		commit_merge(vmg.next, addr, vmg.next->vm_end, pgoff, NULL, 0, 0, 0, NULL, NULL);
		return vmg.next;
	}
	return NULL;
}

/*
 * vma_merge_existing_range - [start, end) of @middle gets @vm_flags: merge
 * it into prev and/or next when the rules allow.  Returns the VMA that
 * now covers [start, end), or NULL when no merge applies (or -ENOMEM in
 * *errp).
 */
static struct vm_area_struct *vma_merge_existing_range(struct vm_area_struct *middle,
						       unsigned long start, unsigned long end,
						       unsigned long vm_flags, int *errp)
{
	struct vma_merge vmg = { .prev = middle->vm_prev, .middle = middle, .start = start,
				 .end = end, .vm_flags = vm_flags, .file = middle->vm_file,
				 .anon_vma = middle->anon_vma,
				 .pgoff = middle->vm_pgoff + ((start - middle->vm_start) >> PAGE_SHIFT) };
	bool left_side = start == middle->vm_start, right_side = end == middle->vm_end;
	bool merge_left = false, merge_right = false, delete_middle = left_side && right_side;
	struct vm_area_struct *prev = vmg.prev, *next = NULL;
	int err;

	if (!left_side && !right_side)
		return NULL;
	if (left_side)
		merge_left = can_vma_merge_left(&vmg);
	if (right_side) {
		next = vmg.next = middle->vm_next;
		merge_right = can_vma_merge_right(&vmg, merge_left);
	}
	if (merge_left && merge_right) {
		/* prev grows over middle and next */
		err = dup_anon_vma(prev, next->anon_vma ? next : middle);
		if (err)
			goto nomem;
		commit_merge(prev, prev->vm_start, next->vm_end, prev->vm_pgoff, NULL, 0, 0, 0,
			     middle, next);
		return prev;
	}
	if (merge_left) {
		err = dup_anon_vma(prev, middle);
		if (err)
			goto nomem;
		if (delete_middle)
			commit_merge(prev, prev->vm_start, end, prev->vm_pgoff, NULL, 0, 0, 0,
				     middle, NULL);
		else
			commit_merge(prev, prev->vm_start, end, prev->vm_pgoff, middle, end,
				     middle->vm_end,
				     middle->vm_pgoff + ((end - middle->vm_start) >> PAGE_SHIFT),
				     NULL, NULL);
		return prev;
	}
	if (merge_right) {
		err = dup_anon_vma(next, middle);
		if (err)
			goto nomem;
		if (delete_middle)
			commit_merge(next, start, next->vm_end, vmg.pgoff, NULL, 0, 0, 0, middle, NULL);
		else
			commit_merge(next, start, next->vm_end, vmg.pgoff, middle, middle->vm_start,
				     start, middle->vm_pgoff, NULL, NULL);
		return next;
	}
	return NULL;
nomem:
	*errp = err;
	return NULL;
}

/**
 * vma_modify_flags - give [start, end) of @vma the flags @new_flags: merge
 * with a neighbour when possible, else split off the parts outside the
 * range.  Returns the VMA covering exactly [start, end) with the new
 * flags set, or NULL with *errp = -ENOMEM.
 * Context: mmap_lock held for writing; may take the rmap locks.
 */
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *vma, unsigned long start,
					unsigned long end, unsigned long new_flags, int *errp)
{
	struct vm_area_struct *merged;
	int err = 0;

	merged = vma_merge_existing_range(vma, start, end, new_flags, &err);
	if (merged)
		return merged;
	if (err) {
		*errp = err;
		return NULL;
	}
	if (vma->vm_start < start) {
		err = split_vma(vma, start, 1);
		if (err)
			goto fail;
	}
	if (vma->vm_end > end) {
		err = split_vma(vma, end, 0);
		if (err)
			goto fail;
	}
	/* WRITE_ONCE: rmap walkers read vm_flags without mmap_lock */
	__atomic_store_n(&vma->vm_flags, new_flags, __ATOMIC_RELAXED);
	vma_set_page_prot(vma);
	return vma;
fail:
	*errp = err;
	return NULL;
}

/**
 * vma_expand - grow @vma to [start, end) with @pgoff, absorbing @next if
 * the new end reaches next's end.  Returns 0 or -ENOMEM.
 * Context: mmap_lock held for writing; takes the rmap locks.
 */
int vma_expand(struct vm_area_struct *vma, unsigned long start, unsigned long end, pgoff_t pgoff,
	       struct vm_area_struct *next)
{
	bool remove_next = next && next != vma && end == next->vm_end;

	VM_BUG_ON_VMA(start > vma->vm_start || end < vma->vm_end, vma);
	if (remove_next && dup_anon_vma(vma, next))
		return -ENOMEM;
	commit_merge(vma, start, end, pgoff, NULL, 0, 0, 0, remove_next ? next : NULL, NULL);
	return 0;
}

/* vma_shrink - cut @vma down to [start, end) with @pgoff (the caller freed the rest). */
int vma_shrink(struct vm_area_struct *vma, unsigned long start, unsigned long end, pgoff_t pgoff)
{
	VM_BUG_ON_VMA(start < vma->vm_start || end > vma->vm_end || start >= end, vma);
	commit_merge(vma, start, end, pgoff, NULL, 0, 0, 0, NULL, NULL);
	return 0;
}

/*
 * vma_resize_anon_locked - vma_expand / vma_shrink of an anonymous @vma to
 * [start, end) with @pgoff, by a caller that already holds its anon_vma
 * lock for writing: exec's relocation under the exec_stack_migrate=
 * anon_vma_lock design (seed 004), which takes the lock once around the
 * expand, the move and the shrink.
 */
void vma_resize_anon_locked(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			    pgoff_t pgoff)
{
	VM_BUG_ON_VMA(vma->vm_file || !vma->anon_vma || start >= end, vma);
	__commit_merge(vma, start, end, pgoff, NULL, 0, 0, 0, NULL, NULL, true);
}

/* ------------------------------------------------------------------ */
/* mremap: copy_vma and vma_merge_extend */

/*
 * merge_new_range_from - the new range of @vmg (anon_vma vmg->anon_vma)
 * grows a neighbour: vma_merge_new_range for a range that already has
 * pages.  @copied_from is mremap's source (vma_merge_copied_range), or
 * NULL when the range extends @vmg->prev (vma_merge_extend).  The target
 * takes the anon_vma chain of what it absorbs and of @copied_from: an
 * unfaulted neighbour growing over faulted pages must be linked into
 * their anon_vma first, or the rmap loses them (the 6.18 fix "mm/vma:
 * fix anon_vma UAF on mremap() faulted, unfaulted merge").
 * Returns the grown VMA, or NULL (no merge, or -ENOMEM: the caller makes
 * a VMA of its own then).
 */
static struct vm_area_struct *merge_new_range_from(struct vma_merge *vmg,
						  struct vm_area_struct *copied_from)
{
	struct vm_area_struct *prev = vmg->prev, *next = vmg->next;
	bool left = can_vma_merge_left(vmg);
	bool right = can_vma_merge_right(vmg, left);

	if (left && right) {
		if (dup_anon_vma(prev, next) || (copied_from && dup_anon_vma(prev, copied_from)))
			return NULL;
		commit_merge(prev, prev->vm_start, next->vm_end, prev->vm_pgoff, NULL, 0, 0, 0,
			     next, NULL);
		return prev;
	}
	if (left) {
		if (copied_from && dup_anon_vma(prev, copied_from))
			return NULL;
		commit_merge(prev, prev->vm_start, vmg->end, prev->vm_pgoff, NULL, 0, 0, 0, NULL,
			     NULL);
		return prev;
	}
	if (right) {
		if (copied_from && dup_anon_vma(next, copied_from))
			return NULL;
		commit_merge(next, vmg->start, next->vm_end, vmg->pgoff, NULL, 0, 0, 0, NULL, NULL);
		return next;
	}
	return NULL;
}

/*
 * vma_merge_copied_range - mremap's destination [start, end) with @pgoff
 * joins a neighbour if the merge rules allow.  The source stands in as
 * the merge's "middle" for the anon_vma rules: a forked source
 * (vma_had_uncowed_parents) may not lend its chain to an unfaulted
 * neighbour.
 */
static struct vm_area_struct *vma_merge_copied_range(struct vm_area_struct *src,
						    unsigned long start, unsigned long end,
						    pgoff_t pgoff)
{
	struct vma_merge vmg = { .middle = src, .start = start, .end = end, .pgoff = pgoff,
				 .vm_flags = src->vm_flags, .file = src->vm_file,
				 .anon_vma = src->anon_vma };
	struct vm_area_struct *next = find_vma_prev(src->vm_mm, start, &vmg.prev);

	vmg.next = next && next->vm_start == end ? next : NULL;
	return merge_new_range_from(&vmg, src);
}

/**
 * copy_vma - mremap's new VMA for the pages of *@vmap that move to
 * [@addr, @addr + @len), at file offset (or anon index) @pgoff.  Either a
 * neighbour at the destination grows over the range, or a new VMA is
 * linked into the anon_vma trees (anon_vma_clone), the mm and i_mmap.
 *
 * *@need_rmap_locks tells move_ptes whether rmap walk order protects the
 * move.  A new VMA starts at pgoff >= the source's and is inserted after
 * equal keys, so every walk visits it after the source: no locks.  A
 * merged neighbour was reinserted with its own start pgoff; if that is
 * <= the source's, walks may visit it first (kernel-reference §5.3):
 *
 *  rmap walk (migrate, truncate)    mremap (move_ptes, no rmap lock)
 *  visit the merged dst: empty
 *                                   move pte src -> dst
 *  visit src: empty                 <- the pte is missed
 *
 * An unfaulted anonymous source takes the destination's address as its
 * pgoff, to merge more often: safe, no walk can reach its ptes (only the
 * zero page is mapped there, which has no rmap).  Then the source itself
 * may be the neighbour that grew, and *@vmap is updated.
 * Returns the VMA covering the destination, or NULL (-ENOMEM).
 * Context: mmap_lock held for writing; takes the rmap locks; may yield.
 */
struct vm_area_struct *copy_vma(struct vm_area_struct **vmap, unsigned long addr,
				unsigned long len, pgoff_t pgoff, bool *need_rmap_locks)
{
	struct vm_area_struct *vma = *vmap, *new_vma, *prev;
	unsigned long vma_start = vma->vm_start;
	struct mm_struct *mm = vma->vm_mm;
	bool faulted_in_anon_vma = true;

	mmap_assert_write_locked(mm);
	if (vma_is_anonymous(vma) && !vma->anon_vma) {
		pgoff = addr >> PAGE_SHIFT;
		faulted_in_anon_vma = false;
	}
	new_vma = find_vma_prev(mm, addr, &prev);
	if (new_vma && new_vma->vm_start < addr + len)
		return NULL;	/* the destination must be free: should never get here */

	new_vma = vma_merge_copied_range(vma, addr, addr + len, pgoff);
	if (new_vma) {
		if (vma_start >= new_vma->vm_start && vma_start < new_vma->vm_end) {
			/*
			 * The source merged with itself: only an unfaulted one
			 * can, its pgoff having been reset to the destination's.
			 */
			VM_BUG_ON_VMA(faulted_in_anon_vma, new_vma);
			*vmap = vma = new_vma;
		}
		*need_rmap_locks = new_vma->vm_pgoff <= vma->vm_pgoff;
		return new_vma;
	}

	new_vma = vm_area_dup(vma);
	if (!new_vma)
		return NULL;
	new_vma->vm_start = addr;
	new_vma->vm_end = addr + len;
	new_vma->vm_pgoff = pgoff;
	if (anon_vma_clone(new_vma, vma, VMA_OP_REMAP)) {
		new_vma->anon_vma = NULL;
		vm_area_free(new_vma);
		return NULL;
	}
	if (new_vma->vm_file)
		get_file(new_vma->vm_file);
	vma_link(mm, new_vma);
	*need_rmap_locks = false;
	return new_vma;
}

/**
 * vma_merge_extend - mremap's expansion in place: @vma grows by @delta
 * bytes at its end, as a new range merged into it (and into the next VMA
 * too, when that becomes adjacent and compatible).
 * Returns the VMA now covering the range, or NULL (-ENOMEM).
 * Context: mmap_lock held for writing; takes the rmap locks; may yield.
 */
struct vm_area_struct *vma_merge_extend(struct vm_area_struct *vma, unsigned long delta)
{
	unsigned long start = vma->vm_end, end = vma->vm_end + delta;
	struct vma_merge vmg = { .prev = vma, .start = start, .end = end,
				 .pgoff = vma->vm_pgoff + vma_pages(vma), .vm_flags = vma->vm_flags,
				 .file = vma->vm_file, .anon_vma = vma->anon_vma };
	struct vm_area_struct *next = vma->vm_next;

	mmap_assert_write_locked(vma->vm_mm);
	vmg.next = next && next->vm_start == end ? next : NULL;
	return merge_new_range_from(&vmg, NULL);
}

/* ------------------------------------------------------------------ */
/* munmap */

/* Zap, unlink from the rmap trees, free page tables, free the VMAs. */
static void unmap_detached(struct mm_struct *mm, struct vm_area_struct **vmas, int nr,
			   unsigned long floor, unsigned long ceiling)
{
	for (int i = 0; i < nr; i++)
		unmap_page_range(vmas[i], vmas[i]->vm_start, vmas[i]->vm_end, NULL);
	for (int i = 0; i < nr; i++) {
		unlink_anon_vmas(vmas[i]);
		unlink_file_vma(vmas[i]);
	}
	if (nr)
		free_pgd_range(mm, vmas[0]->vm_start, vmas[nr - 1]->vm_end, floor, ceiling);
	for (int i = 0; i < nr; i++) {
		remove_vma(vmas[i]);
		vmas[i] = NULL;		/* mm->detached: gone */
	}
}

/**
 * do_vmi_munmap - unmap [start, start + len) of @mm (len page aligned,
 * range checked by the caller).  Returns 0 or -ENOMEM (nothing unmapped).
 * Context: mmap_lock held for writing.  With @unlock (munmap(2)), the
 * pages are zapped with mmap_lock downgraded to read and the lock is
 * dropped before a successful return; otherwise (mmap over an old
 * mapping) it stays held for writing throughout.
 */
int do_vmi_munmap(struct mm_struct *mm, unsigned long start, unsigned long len, bool unlock)
{
	unsigned long end = start + len, floor, ceiling;
	struct vm_area_struct *vma = find_vma(mm, start), *prev, *next;
	struct vm_area_struct **vmas;
	int nr = 0, cap = 0, err;

	mmap_assert_write_locked(mm);
	if (!vma || vma->vm_start >= end)
		goto out;
	if (start > vma->vm_start) {
		if (end < vma->vm_end && mm->map_count >= MAX_MAP_COUNT)
			return -ENOMEM;
		err = split_vma_nocount(vma, start, 1);
		if (err)
			return err;
	}
	for (struct vm_area_struct *v = vma; v && v->vm_start < end; v = v->vm_next) {
		if (v->vm_end > end) {
			err = split_vma_nocount(v, end, 0);
			if (err)
				return err;	/* the first split stays, as in the kernel */
		}
		cap++;
	}
	vmas = vm_alloc(VM_ALLOC_TEMP, (size_t)cap * sizeof(*vmas));
	if (!vmas)
		return -ENOMEM;
	prev = vma->vm_prev;
	for (struct vm_area_struct *v = vma, *n; v && v->vm_start < end; v = n) {
		n = v->vm_next;
		vma_tree_erase(mm, v);
		vmas[nr++] = v;
	}
	next = prev ? prev->vm_next : mm->mmap;
	floor = prev ? prev->vm_end : 0;
	ceiling = next ? next->vm_start : 0;

	mm->detached = vmas;
	mm->nr_detached = nr;
	if (unlock)
		mmap_write_downgrade(mm);
	unmap_detached(mm, vmas, nr, floor, ceiling);
	mm->detached = NULL;
	mm->nr_detached = 0;
	vm_free(VM_ALLOC_TEMP, vmas);
	if (unlock)
		mmap_read_unlock(mm);
	return 0;
out:
	if (unlock)
		mmap_write_unlock(mm);
	return 0;
}
