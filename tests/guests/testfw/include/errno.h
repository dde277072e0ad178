/* The one errno value drivers/vdev/testdev/testdev.c uses; the firmware has no libc. */
#ifndef TESTFW_ERRNO_H
#define TESTFW_ERRNO_H
#define EINVAL 22
#endif
