#ifndef SICHA_CZSTD_SHIM_H
#define SICHA_CZSTD_SHIM_H
#include <zstd.h>
#endif
