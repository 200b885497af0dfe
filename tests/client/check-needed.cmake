# Fails unless BINARY needs only libc, jansson and signet-client (signetctl must start fast and stay small).
# Run with: cmake -DREADELF=... -DBINARY=... -P check-needed.cmake
execute_process(COMMAND ${READELF} -d ${BINARY} OUTPUT_VARIABLE dynamic RESULT_VARIABLE failed)
if(failed)
    message(FATAL_ERROR "readelf failed on ${BINARY}")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dynamic}")
if(NOT needed)
    message(FATAL_ERROR "no NEEDED entries found in ${BINARY}")
endif()
foreach(entry IN LISTS needed)
    string(REGEX REPLACE "Shared library: \\[([^]]+)\\]" "\\1" library "${entry}")
    # Sanitizer runtimes are allowed, so the test also passes in an ASan/UBSan build.
    if(NOT library MATCHES "^(libc\\.so\\.[0-9]+|libjansson\\.so\\.[0-9]+|libsignet-client\\.so\\.0|lib(a|ub|t)san\\.so\\.[0-9]+)$")
        message(FATAL_ERROR "${BINARY} needs ${library}; signetctl may link only libc, jansson and signet-client")
    endif()
    message(STATUS "needs ${library}")
endforeach()
