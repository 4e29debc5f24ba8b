# Warning flags for every target: -Wall -Wextra -Werror, POSIX 2008 + GNU
# extensions where needed, and banned.h force-included (git banned.h).
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
                    -Wstrict-prototypes -Wmissing-prototypes
                    -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_compile_options(-Wno-unknown-warning-option)  # -Wno-format-truncation
endif()
add_compile_definitions(_GNU_SOURCE _FILE_OFFSET_BITS=64)
add_compile_options(-include ${CMAKE_SOURCE_DIR}/lib/util/include/util/banned.h)
add_compile_options(-fno-strict-aliasing)
