/*
 * mm/interval_tree.c - the i_mmap and anon_vma interval trees (model)
 *
 * Models: vma_interval_tree_* over vm_area_struct.shared.rb (keyed by
 *         [vm_pgoff, vm_pgoff + pages - 1]) and anon_vma_interval_tree_*
 *         over anon_vma_chain.rb (keyed by the chain's VMA's range).  Both
 *         come from lib/interval_tree_generic.h: ordered by start pgoff,
 *         equal starts oldest first, iteration in that order; the walk
 *         order the rmap's correctness rests on (kernel-reference §3.6).
 */
#include "lib/interval_tree_generic.h"
#include "mm/internal.h"

unsigned long vma_start_pgoff(const struct vm_area_struct *vma)
{
	return vma->vm_pgoff;
}

unsigned long vma_last_pgoff(const struct vm_area_struct *vma)
{
	return vma->vm_pgoff + vma_pages(vma) - 1;
}

INTERVAL_TREE_DEFINE(struct vm_area_struct, shared.rb, unsigned long, shared.rb_subtree_last,
		     vma_start_pgoff, vma_last_pgoff, , vma_interval_tree)

static unsigned long avc_start_pgoff(const struct anon_vma_chain *avc)
{
	return vma_start_pgoff(avc->vma);
}

static unsigned long avc_last_pgoff(const struct anon_vma_chain *avc)
{
	return vma_last_pgoff(avc->vma);
}

INTERVAL_TREE_DEFINE(struct anon_vma_chain, rb, unsigned long, rb_subtree_last,
		     avc_start_pgoff, avc_last_pgoff, , anon_vma_interval_tree)
