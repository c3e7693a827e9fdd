// SPDX-License-Identifier: Apache-2.0
/// The release. debian/changelog is where it is set; this constant,
/// kmod/dkms.conf's PACKAGE_VERSION and the module's MODULE_VERSION must
/// say the same (debian/rules and VersionTests check).
let adoptVersion = "1.0"
