/*
 * lib/rbtree_augmented.h - red-black trees whose nodes carry a value
 * computed from their subtree (the kernel's rbtree_augmented.h API,
 * written fresh)
 *
 * An augmented tree keeps, in every node, some summary of the node's
 * subtree (the largest interval end below it, the largest free gap below
 * it, ...).  The tree code does not know what the summary is; it tells the
 * user about every structural change through three callbacks:
 *
 *   propagate(node, stop)  recompute the summary of @node and of each
 *                          ancestor, stopping before @stop (or at the root
 *                          when @stop is NULL); may stop early once a
 *                          recomputed value is unchanged.
 *   copy(old, new)         @new has taken @old's place in the tree (same
 *                          subtree), so copy @old's summary to @new.
 *   rotate(old, new)       a rotation made @new the parent of @old, in
 *                          @old's former place: @new inherits @old's
 *                          summary, @old's must be recomputed.
 *
 * Insertion: the user descends to the leaf position, updating the
 * summaries along the path to include the new node, links the node with
 * rb_link_node(), sets its own summary, and calls rb_insert_augmented().
 * Erase: rb_erase_augmented() does everything.
 *
 * rb_erase() in rbtree.c uses the same erase routine below with callbacks
 * that do nothing, so plain and augmented trees share one implementation.
 */
#ifndef RMAPLAB_LIB_RBTREE_AUGMENTED_H
#define RMAPLAB_LIB_RBTREE_AUGMENTED_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/rbtree.h"

struct rb_augment_callbacks {
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	void (*copy)(struct rb_node *old, struct rb_node *new);
	void (*rotate)(struct rb_node *old, struct rb_node *new);
};

/*
 * The two rebalancing halves, implemented in rbtree.c.  @rotate is called
 * after every rotation, as described above.
 */
void rb_insert_color_augmented(struct rb_node *node, struct rb_root *root,
			       void (*rotate)(struct rb_node *old, struct rb_node *new));
void rb_erase_color_augmented(struct rb_node *parent, struct rb_root *root,
			      void (*rotate)(struct rb_node *old, struct rb_node *new));

/* ---- colour and parent-pointer helpers (shared with rbtree.c) ---- */

#define RB_RED		0UL
#define RB_BLACK	1UL

#define rb_color(r)	((r)->rb_parent_color & 1UL)
#define rb_is_red(r)	(!rb_color(r))
#define rb_is_black(r)	rb_color(r)

static inline void rb_set_parent(struct rb_node *node, struct rb_node *parent)
{
	node->rb_parent_color = rb_color(node) | (unsigned long)parent;
}

static inline void rb_set_parent_color(struct rb_node *node, struct rb_node *parent,
				       unsigned long color)
{
	node->rb_parent_color = (unsigned long)parent | color;
}

/* Make @parent (or the root, when @parent is NULL) point at @new instead of @old. */
static inline void rb_change_child(struct rb_node *old, struct rb_node *new,
				   struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/* ---- insertion ---- */

/*
 * The caller has linked @node with rb_link_node(), set its summary and
 * updated the summaries of its ancestors to include it.
 */
static inline void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
				       const struct rb_augment_callbacks *augment)
{
	rb_insert_color_augmented(node, root, augment->rotate);
}

static inline void rb_insert_augmented_cached(struct rb_node *node, struct rb_root_cached *root,
					      bool newleft,
					      const struct rb_augment_callbacks *augment)
{
	if (newleft)
		root->rb_leftmost = node;
	rb_insert_augmented(node, &root->rb_root, augment);
}

/* ---- erase ---- */

/*
 * Unlink @node from the tree and fix the summaries.  Returns the node
 * below which a black node went missing (the caller must then run
 * rb_erase_color_augmented() on it), or NULL when the colours are
 * already valid.  When @leftmost is given and points at @node, it is
 * advanced to @node's successor.
 *
 * Three shapes:
 *  - @node has no left child: its right child (if any) takes its place.
 *  - @node has a left child only: that child takes its place.
 *  - two children: the in-order successor S (leftmost of the right
 *    subtree) is unlinked from its spot and takes @node's place and colour;
 *    the imbalance, if any, is where S used to be.
 */
static inline struct rb_node *rb_erase_augmented_core(struct rb_node *node, struct rb_root *root,
						      struct rb_node **leftmost,
						      const struct rb_augment_callbacks *augment)
{
	struct rb_node *left = node->rb_left, *right = node->rb_right;
	struct rb_node *parent = rb_parent(node);
	unsigned long pc = node->rb_parent_color;
	struct rb_node *rebalance, *fix_from;

	if (leftmost && node == *leftmost)
		*leftmost = rb_next(node);

	if (!left || !right) {
		/*
		 * One child at most.  In a valid tree a lone child is red
		 * and its parent black: the child turns black in the
		 * parent's place and nothing else changes.  With no child
		 * at all, removing a black node leaves a deficit.
		 */
		struct rb_node *child = left ? left : right;

		rb_change_child(node, child, parent, root);
		if (child) {
			child->rb_parent_color = pc;	/* node's parent and colour (black) */
			rebalance = NULL;
		} else {
			rebalance = (pc & 1UL) == RB_BLACK ? parent : NULL;
		}
		fix_from = parent;
	} else {
		struct rb_node *succ = right, *succ_parent, *succ_child;

		if (!succ->rb_left) {
			/* The successor is @node's right child: it just moves up. */
			succ_parent = succ;
			succ_child = succ->rb_right;
			augment->copy(node, succ);
		} else {
			/* Walk to the leftmost node of the right subtree. */
			do {
				succ_parent = succ;
				succ = succ->rb_left;
			} while (succ->rb_left);
			succ_child = succ->rb_right;

			/* Unhook the successor, then give it @node's right subtree. */
			succ_parent->rb_left = succ_child;
			succ->rb_right = right;
			rb_set_parent(right, succ);

			augment->copy(node, succ);
			/* Summaries between the old spot and @node's place changed. */
			augment->propagate(succ_parent, succ);
		}

		succ->rb_left = left;
		rb_set_parent(left, succ);
		rb_change_child(node, succ, parent, root);

		/*
		 * The successor had no left child, so it had at most one red
		 * child; as above, that child turns black in its place.
		 */
		if (succ_child) {
			rb_set_parent_color(succ_child, succ_parent, RB_BLACK);
			rebalance = NULL;
		} else {
			rebalance = rb_is_black(succ) ? succ_parent : NULL;
		}
		succ->rb_parent_color = pc;	/* @node's parent and colour */
		fix_from = succ;
	}

	augment->propagate(fix_from, NULL);
	return rebalance;
}

static inline void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
				      const struct rb_augment_callbacks *augment)
{
	struct rb_node *rebalance = rb_erase_augmented_core(node, root, NULL, augment);

	if (rebalance)
		rb_erase_color_augmented(rebalance, root, augment->rotate);
}

static inline void rb_erase_augmented_cached(struct rb_node *node, struct rb_root_cached *root,
					     const struct rb_augment_callbacks *augment)
{
	struct rb_node *rebalance = rb_erase_augmented_core(node, &root->rb_root,
							    &root->rb_leftmost, augment);

	if (rebalance)
		rb_erase_color_augmented(rebalance, &root->rb_root, augment->rotate);
}

/* ---- callback generators ---- */

/*
 * RB_DECLARE_CALLBACKS - callbacks named RBNAME for nodes of type RBSTRUCT
 * (e.g. "struct foo") linked through member RBFIELD, keeping the summary in
 * member RBAUGMENTED.  RBCOMPUTE(RBSTRUCT *node, bool exit) recomputes
 * node->RBAUGMENTED from the node and its children; when @exit is true it
 * returns true if the value did not change (so propagation can stop), and
 * otherwise returns false.
 */
#define RB_DECLARE_CALLBACKS(RBSTATIC, RBNAME, RBSTRUCT, RBFIELD, RBAUGMENTED, RBCOMPUTE) \
static inline void RBNAME##_propagate(struct rb_node *rb, struct rb_node *stop)	\
{										\
	while (rb != stop) {							\
		RBSTRUCT *node_ = rb_entry(rb, RBSTRUCT, RBFIELD);		\
		if (RBCOMPUTE(node_, true))					\
			break;							\
		rb = rb_parent(&node_->RBFIELD);				\
	}									\
}										\
static inline void RBNAME##_copy(struct rb_node *rb_old, struct rb_node *rb_new) \
{										\
	RBSTRUCT *old_ = rb_entry(rb_old, RBSTRUCT, RBFIELD);			\
	RBSTRUCT *new_ = rb_entry(rb_new, RBSTRUCT, RBFIELD);			\
	new_->RBAUGMENTED = old_->RBAUGMENTED;					\
}										\
static void RBNAME##_rotate(struct rb_node *rb_old, struct rb_node *rb_new)	\
{										\
	RBSTRUCT *old_ = rb_entry(rb_old, RBSTRUCT, RBFIELD);			\
	RBSTRUCT *new_ = rb_entry(rb_new, RBSTRUCT, RBFIELD);			\
	new_->RBAUGMENTED = old_->RBAUGMENTED;					\
	RBCOMPUTE(old_, false);							\
}										\
RBSTATIC __attribute__((unused)) const struct rb_augment_callbacks RBNAME = {	\
	.propagate = RBNAME##_propagate,					\
	.copy = RBNAME##_copy,							\
	.rotate = RBNAME##_rotate						\
}

/*
 * RB_DECLARE_CALLBACKS_MAX - the common case: node->RBAUGMENTED (of type
 * RBTYPE) is the maximum of RBCOMPUTE(node) over the node's subtree.
 * Generates RBNAME##_compute_max() and the callbacks RBNAME.
 */
#define RB_DECLARE_CALLBACKS_MAX(RBSTATIC, RBNAME, RBSTRUCT, RBFIELD, RBTYPE, RBAUGMENTED, RBCOMPUTE) \
static inline bool RBNAME##_compute_max(RBSTRUCT *node, bool stop_if_same)	\
{										\
	RBTYPE max_ = RBCOMPUTE(node), sub_;					\
	if (node->RBFIELD.rb_left) {						\
		sub_ = rb_entry(node->RBFIELD.rb_left, RBSTRUCT, RBFIELD)->RBAUGMENTED; \
		if (sub_ > max_)						\
			max_ = sub_;						\
	}									\
	if (node->RBFIELD.rb_right) {						\
		sub_ = rb_entry(node->RBFIELD.rb_right, RBSTRUCT, RBFIELD)->RBAUGMENTED; \
		if (sub_ > max_)						\
			max_ = sub_;						\
	}									\
	if (stop_if_same && node->RBAUGMENTED == max_)				\
		return true;							\
	node->RBAUGMENTED = max_;						\
	return false;								\
}										\
RB_DECLARE_CALLBACKS(RBSTATIC, RBNAME, RBSTRUCT, RBFIELD, RBAUGMENTED, RBNAME##_compute_max)

#endif /* RMAPLAB_LIB_RBTREE_AUGMENTED_H */
