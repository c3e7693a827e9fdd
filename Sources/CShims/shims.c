/* The C target needs one source file; everything lives in include/CShims.h. */
#include "CShims.h"
