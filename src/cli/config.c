#include "cli/config.h"

#include <string.h>

const char *config_get(const struct config *cfg, const char *name, const char *def)
{
	const char *v = def;

	for (size_t i = 0; i < cfg->nvalues; i++)
		if (strcmp(cfg->values[i].name, name) == 0)
			v = cfg->values[i].value;
	return v;
}

int config_each(const struct config *cfg, const char *name,
		int (*fn)(const char *value, void *arg), void *arg)
{
	int rc = 0;

	for (size_t i = 0; i < cfg->nvalues && rc == 0; i++)
		if (strcmp(cfg->values[i].name, name) == 0)
			rc = fn(cfg->values[i].value, arg);
	return rc;
}

bool config_bool(const struct config *cfg, const char *name, bool def)
{
	const char *v = config_get(cfg, name, NULL);

	return v ? strcmp(v, "true") == 0 : def;
}
