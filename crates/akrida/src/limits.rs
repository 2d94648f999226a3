//! Process limits a load generator needs: every holder holds a socket (two while it connects),
//! and the usual soft limit of 1024 open files would cap a run at a few hundred holders.

/// Raises the soft open-file limit to the hard limit; returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass, which lives on our
    // stack for the duration of the calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
    }
    Some(limit.rlim_cur)
}

/// A warning when `users` holders will not fit in the open-file limit.
pub fn check_room_for(users: usize) -> Option<String> {
    let limit = raise_open_file_limit()?;
    // One socket per holder, one more during onboarding, plus headroom for the runtime.
    let needed = users as u64 * 2 + 64;
    (limit < needed).then(|| {
        format!(
            "the open-file limit is {limit}, but {users} users need about {needed}: raise it \
             (ulimit -n) or expect \"Too many open files\" failures"
        )
    })
}
