/*
 * lib/rbtree.h - intrusive red-black trees with augmentation (the kernel's
 * lib/rbtree.c API, written fresh)
 *
 * One implementation serves the VMA tree (augmented with the largest free
 * gap below each subtree), the i_mmap interval tree and the anon_vma
 * interval tree (augmented with the largest last pgoff of each subtree).
 *
 * The user links a new node with rb_link_node() at the leaf position found
 * by its own descent, then calls rb_insert_color() (or the _augmented /
 * _cached variants).  In-order iteration: rb_first()/rb_next().
 */
#ifndef RMAPLAB_LIB_RBTREE_H
#define RMAPLAB_LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/list.h"	/* container_of */

struct rb_node {
	unsigned long rb_parent_color;	/* parent pointer | colour bit (0 red, 1 black) */
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} __attribute__((aligned(sizeof(long))));

struct rb_root {
	struct rb_node *rb_node;
};

/* A root that also caches the leftmost node. */
struct rb_root_cached {
	struct rb_root rb_root;
	struct rb_node *rb_leftmost;
};

#define RB_ROOT (struct rb_root) { NULL }
#define RB_ROOT_CACHED (struct rb_root_cached) { { NULL }, NULL }

#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) rb_ptr_ = (ptr); rb_ptr_ ? rb_entry(rb_ptr_, type, member) : NULL; })

#define rb_parent(r) ((struct rb_node *)((r)->rb_parent_color & ~3UL))

#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)
/* A node that is not in any tree points to itself (RB_CLEAR_NODE). */
#define RB_EMPTY_NODE(node) ((node)->rb_parent_color == (unsigned long)(node))
#define RB_CLEAR_NODE(node) ((node)->rb_parent_color = (unsigned long)(node))

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);

struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);

/* Replace @victim by @new in place (same position; no rebalancing). */
void rb_replace_node(struct rb_node *victim, struct rb_node *new, struct rb_root *root);

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **rb_link)
{
	node->rb_parent_color = (unsigned long)parent;
	node->rb_left = node->rb_right = NULL;
	*rb_link = node;
}

/* Cached-leftmost variants: @leftmost says the new node is the leftmost. */
static inline void rb_insert_color_cached(struct rb_node *node, struct rb_root_cached *root,
					  bool leftmost)
{
	if (leftmost)
		root->rb_leftmost = node;
	rb_insert_color(node, &root->rb_root);
}

static inline struct rb_node *rb_erase_cached(struct rb_node *node, struct rb_root_cached *root)
{
	struct rb_node *leftmost = NULL;

	if (root->rb_leftmost == node)
		leftmost = root->rb_leftmost = rb_next(node);
	rb_erase(node, &root->rb_root);
	return leftmost;
}

#define rb_first_cached(root) (root)->rb_leftmost

/*
 * Additions (not in the original skeleton):
 * rb_replace_node_cached - rb_replace_node() that also keeps the cached
 * leftmost pointer.  Post-order traversal visits children before their
 * parent, so every node can be freed during the walk (use the _safe macro).
 */
void rb_replace_node_cached(struct rb_node *victim, struct rb_node *new,
			    struct rb_root_cached *root);
struct rb_node *rb_first_postorder(const struct rb_root *root);
struct rb_node *rb_next_postorder(const struct rb_node *node);

#define rbtree_postorder_for_each_entry_safe(pos, n, root, field)		\
	for (pos = rb_entry_safe(rb_first_postorder(root), __typeof__(*pos), field); \
	     pos && ({ n = rb_entry_safe(rb_next_postorder(&pos->field),	\
			__typeof__(*pos), field); 1; });			\
	     pos = n)

#endif /* RMAPLAB_LIB_RBTREE_H */
