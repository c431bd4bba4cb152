/*
 * lib/interval_tree_generic.h - interval trees over closed intervals
 * [start, last], built on the augmented red-black tree (the kernel's
 * interval_tree_generic.h, written fresh)
 *
 * INTERVAL_TREE_DEFINE(ITSTRUCT, ITRB, ITTYPE, ITSUBTREE, ITSTART, ITLAST,
 *                      ITSTATIC, ITPREFIX)
 *   ITSTRUCT   the node type, e.g. "struct vm_area_struct"
 *   ITRB       its struct rb_node member (may be a nested member: shared.rb)
 *   ITTYPE     the scalar type of the endpoints
 *   ITSUBTREE  its ITTYPE member caching the largest ITLAST in the subtree
 *   ITSTART(n), ITLAST(n)  the node's interval (functions or macros)
 *   ITSTATIC   linkage of the generated functions ("static" or empty)
 *   ITPREFIX   prefix of the generated names
 *
 * Generates:
 *   void ITPREFIX_insert(ITSTRUCT *node, struct rb_root_cached *root);
 *   void ITPREFIX_insert_after(ITSTRUCT *node, ITSTRUCT *prev,
 *                              struct rb_root_cached *root);
 *   void ITPREFIX_remove(ITSTRUCT *node, struct rb_root_cached *root);
 *   ITSTRUCT *ITPREFIX_iter_first(struct rb_root_cached *root,
 *                                 ITTYPE start, ITTYPE last);
 *   ITSTRUCT *ITPREFIX_iter_next(ITSTRUCT *node, ITTYPE start, ITTYPE last);
 *
 * ORDER (the model depends on it exactly): the tree is ordered by start
 * only.  Insertion descends left when start < node's start and right
 * otherwise, so a new node goes after every node with an equal start:
 * equal starts stay in insertion order (rotations preserve in-order
 * sequence).  iter_first/iter_next visit the intersecting nodes in
 * in-order sequence: ascending start, equal starts oldest first.
 *
 * ITPREFIX_insert_after(node, prev, root) places @node immediately after
 * @prev in in-order sequence, ahead of any later nodes with the same start
 * (the kernel's vma_interval_tree_insert_after, used when fork copies a
 * VMA next to its parent in the i_mmap tree).  Precondition: @node's start
 * equals @prev's start (more generally, it lies between @prev's start and
 * its in-order successor's start, so the order stays valid).
 */
#ifndef RMAPLAB_LIB_INTERVAL_TREE_GENERIC_H
#define RMAPLAB_LIB_INTERVAL_TREE_GENERIC_H

#include <stdbool.h>

#include "lib/rbtree.h"
#include "lib/rbtree_augmented.h"

#define INTERVAL_TREE_DEFINE(ITSTRUCT, ITRB, ITTYPE, ITSUBTREE, ITSTART, ITLAST, ITSTATIC, ITPREFIX) \
										\
/* Callbacks keeping ITSUBTREE = max ITLAST over the subtree. */		\
RB_DECLARE_CALLBACKS_MAX(static, ITPREFIX##_augment, ITSTRUCT, ITRB,		\
			 ITTYPE, ITSUBTREE, ITLAST);				\
										\
ITSTATIC __attribute__((unused))						\
void ITPREFIX##_insert(ITSTRUCT *node, struct rb_root_cached *root)		\
{										\
	struct rb_node **link = &root->rb_root.rb_node, *parent_rb = NULL;	\
	ITTYPE start = ITSTART(node), last = ITLAST(node);			\
	bool leftmost = true;							\
										\
	while (*link) {								\
		ITSTRUCT *parent = rb_entry(*link, ITSTRUCT, ITRB);		\
										\
		parent_rb = *link;						\
		/* The new node will be in this subtree. */			\
		if (parent->ITSUBTREE < last)					\
			parent->ITSUBTREE = last;				\
		/* Equal starts go right: after the existing ones. */		\
		if (start < ITSTART(parent)) {					\
			link = &parent->ITRB.rb_left;				\
		} else {							\
			link = &parent->ITRB.rb_right;				\
			leftmost = false;					\
		}								\
	}									\
	node->ITSUBTREE = last;							\
	rb_link_node(&node->ITRB, parent_rb, link);				\
	rb_insert_augmented_cached(&node->ITRB, root, leftmost,		\
				   &ITPREFIX##_augment);			\
}										\
										\
ITSTATIC __attribute__((unused))						\
void ITPREFIX##_insert_after(ITSTRUCT *node, ITSTRUCT *prev,			\
			     struct rb_root_cached *root)			\
{										\
	struct rb_node **link, *parent_rb, *rb;					\
	ITTYPE last = ITLAST(node);						\
										\
	/*									\
	 * prev's in-order successor is the leftmost node of prev's right	\
	 * subtree: become its left child; with no right subtree, become	\
	 * prev's right child.  Either way the node lands between prev and	\
	 * its old successor.							\
	 */									\
	if (!prev->ITRB.rb_right) {						\
		parent_rb = &prev->ITRB;					\
		link = &prev->ITRB.rb_right;					\
	} else {								\
		parent_rb = prev->ITRB.rb_right;				\
		while (parent_rb->rb_left)					\
			parent_rb = parent_rb->rb_left;				\
		link = &parent_rb->rb_left;					\
	}									\
	node->ITSUBTREE = last;							\
	rb_link_node(&node->ITRB, parent_rb, link);				\
	/*									\
	 * Every ancestor's subtree now includes the node.  Once an		\
	 * ancestor already covers last, all above it do too.			\
	 */									\
	for (rb = parent_rb; rb; rb = rb_parent(rb)) {				\
		ITSTRUCT *anc = rb_entry(rb, ITSTRUCT, ITRB);			\
										\
		if (anc->ITSUBTREE >= last)					\
			break;							\
		anc->ITSUBTREE = last;						\
	}									\
	/* Never the leftmost: prev comes first. */				\
	rb_insert_augmented(&node->ITRB, &root->rb_root, &ITPREFIX##_augment);	\
}										\
										\
ITSTATIC __attribute__((unused))						\
void ITPREFIX##_remove(ITSTRUCT *node, struct rb_root_cached *root)		\
{										\
	rb_erase_augmented_cached(&node->ITRB, root, &ITPREFIX##_augment);	\
}										\
										\
/*									\
 * The first node in in-order sequence, within the subtree of @node,	\
 * that intersects [start, last].  Precondition: start <= node->ITSUBTREE.	\
 * Everything left of a node starts no later than it; everything right	\
 * starts no earlier.							\
 */									\
static __attribute__((unused)) ITSTRUCT *					\
ITPREFIX##_subtree_search(ITSTRUCT *node, ITTYPE start, ITTYPE last)		\
{										\
	for (;;) {								\
		if (node->ITRB.rb_left) {					\
			ITSTRUCT *left = rb_entry(node->ITRB.rb_left,		\
						  ITSTRUCT, ITRB);		\
			/*							\
			 * Some node on the left ends at or after start.  If	\
			 * none of them intersects, one starts after last, so	\
			 * this node and its right subtree cannot either.	\
			 */							\
			if (start <= left->ITSUBTREE) {				\
				node = left;					\
				continue;					\
			}							\
		}								\
		if (ITSTART(node) > last)					\
			return NULL;	/* so does everything to the right */	\
		if (start <= ITLAST(node))					\
			return node;						\
		if (!node->ITRB.rb_right)					\
			return NULL;						\
		node = rb_entry(node->ITRB.rb_right, ITSTRUCT, ITRB);		\
		if (node->ITSUBTREE < start)					\
			return NULL;						\
	}									\
}										\
										\
ITSTATIC __attribute__((unused)) ITSTRUCT *					\
ITPREFIX##_iter_first(struct rb_root_cached *root, ITTYPE start, ITTYPE last)	\
{										\
	ITSTRUCT *node, *leftmost;						\
										\
	if (!root->rb_root.rb_node)						\
		return NULL;							\
	node = rb_entry(root->rb_root.rb_node, ITSTRUCT, ITRB);			\
	if (node->ITSUBTREE < start)						\
		return NULL;	/* everything ends before start */		\
	leftmost = rb_entry(root->rb_leftmost, ITSTRUCT, ITRB);			\
	if (ITSTART(leftmost) > last)						\
		return NULL;	/* everything starts after last */		\
	return ITPREFIX##_subtree_search(node, start, last);			\
}										\
										\
ITSTATIC __attribute__((unused)) ITSTRUCT *					\
ITPREFIX##_iter_next(ITSTRUCT *node, ITTYPE start, ITTYPE last)		\
{										\
	struct rb_node *rb = node->ITRB.rb_right, *from;			\
										\
	for (;;) {								\
		/* Invariant: ITSTART(node) <= last, rb = node's right child. */ \
		if (rb) {							\
			ITSTRUCT *right = rb_entry(rb, ITSTRUCT, ITRB);		\
			/*							\
			 * If the right subtree has a candidate but no match,	\
			 * something in it starts after last, and so does	\
			 * every later node.					\
			 */							\
			if (start <= right->ITSUBTREE)				\
				return ITPREFIX##_subtree_search(right,		\
								 start, last);	\
		}								\
		/* Climb until we arrive from a left child: the successor. */	\
		do {								\
			rb = rb_parent(&node->ITRB);				\
			if (!rb)						\
				return NULL;					\
			from = &node->ITRB;					\
			node = rb_entry(rb, ITSTRUCT, ITRB);			\
			rb = node->ITRB.rb_right;				\
		} while (from == rb);						\
		if (ITSTART(node) > last)					\
			return NULL;						\
		if (start <= ITLAST(node))					\
			return node;						\
	}									\
}

#endif /* RMAPLAB_LIB_INTERVAL_TREE_GENERIC_H */
