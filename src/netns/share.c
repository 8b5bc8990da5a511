/* netns/share: the netns collector's namespaces, lent to the connections
 * explorer. See netns/share.h. */
#include "netns/share.h"

#include <pthread.h>

static pthread_mutex_t share_lock = PTHREAD_MUTEX_INITIALIZER;
static struct netns_table *share_table; /* guarded by share_lock */
static double share_budget;

void netns_share_set(struct netns_table *t, double budget)
{
	pthread_mutex_lock(&share_lock);
	share_table = t;
	share_budget = budget;
	pthread_mutex_unlock(&share_lock);
}

void netns_share_enter(void)
{
	pthread_mutex_lock(&share_lock);
}

void netns_share_leave(void)
{
	pthread_mutex_unlock(&share_lock);
}

const struct netns_table *netns_share_begin(double *budget)
{
	pthread_mutex_lock(&share_lock);
	if (share_table == NULL) {
		pthread_mutex_unlock(&share_lock);
		return NULL;
	}
	*budget = share_budget;
	return share_table;
}

void netns_share_end(void)
{
	pthread_mutex_unlock(&share_lock);
}
