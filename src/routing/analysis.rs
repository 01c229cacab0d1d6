//! Unreachable and ineffective rules, found with the engine's matchers.
