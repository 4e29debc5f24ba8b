/*
 * cmd_kafka_broker.c: placeholder until the owning module lands (TODO(#issue)).
 */
#include "cli/cmd.h"

#include <stdio.h>

int cmd_kafka_broker(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "jobctl: '%s' is not implemented yet\n", argv[0]);
    return 2;
}
