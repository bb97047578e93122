//! Shared pieces of the integration tests: a generator of Sysmon event sets full of the
//! rule's edge cases, and a deliberately plain second implementation of the seed's KQL.

#![allow(dead_code)]

pub mod generate;
pub mod layouts;
pub mod real;
pub mod reference;
