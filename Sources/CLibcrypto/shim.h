// SHA-256 from the system's OpenSSL libcrypto (Debian's libssl-dev), for the run keys.
#include <openssl/sha.h>
