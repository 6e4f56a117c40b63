"""Errors of the case-package domain, each with a stable code and a Chinese and English message.

A hostile or damaged archive is refused with its *own* code (``PACKAGE_PATH_TRAVERSAL``,
``PACKAGE_HASH_MISMATCH`` …) so that clients, the server and the tests can tell the cases
apart; they all derive from :class:`PackageRefused` (HTTP 422).
"""

from __future__ import annotations

from patentdesk.errors import PatentDeskError, PermissionDenied


class PackageError(PatentDeskError):
    """Base of every case-package error."""

    @classmethod
    def bilingual(cls, zh: dict[str, object], en: dict[str, object]) -> PackageError:
        """The error with different values in the Chinese and the English message."""
        return cls(cls.message_zh.format(**zh), cls.message_en.format(**en))

    code = "PACKAGE_ERROR"
    status = 422
    message_zh = "案卷包处理失败"
    message_en = "The case package could not be processed"


class PackageRefused(PackageError):
    """The archive is damaged, hostile or not a case package: it is not read at all."""

    code = "PACKAGE_REFUSED"
    message_zh = "案卷包无效，已拒绝"
    message_en = "The case package is not valid and was refused"


class NotAZip(PackageRefused):
    code = "PACKAGE_NOT_A_ZIP"
    message_zh = "文件不是 ZIP 格式的案卷包：{reason}"
    message_en = "The file is not a ZIP case package: {reason}"


class PackageFileMissing(PackageError):
    code = "PACKAGE_FILE_NOT_FOUND"
    status = 404
    message_zh = "找不到案卷包文件：{path}"
    message_en = "No case package file at {path}"


class CorruptArchive(PackageRefused):
    code = "PACKAGE_CORRUPT"
    message_zh = "案卷包已损坏：{entry}：{reason}"
    message_en = "The case package is damaged: {entry}: {reason}"


class MimetypeMissing(PackageRefused):
    code = "PACKAGE_MIMETYPE_MISSING"
    message_zh = "案卷包缺少首个条目 mimetype"
    message_en = "The case package lacks the leading 'mimetype' entry"


class MimetypeInvalid(PackageRefused):
    code = "PACKAGE_MIMETYPE_INVALID"
    message_zh = "案卷包的 mimetype 条目不正确（{reason}），应为不压缩的 {expected}"
    message_en = "The 'mimetype' entry is wrong ({reason}); it must be an uncompressed {expected}"


class PathTraversal(PackageRefused):
    code = "PACKAGE_PATH_TRAVERSAL"
    message_zh = "案卷包条目名试图跳出包目录：{entry}"
    message_en = "An entry name tries to escape the package folder: {entry}"


class AbsolutePath(PackageRefused):
    code = "PACKAGE_ABSOLUTE_PATH"
    message_zh = "案卷包条目名不能是绝对路径：{entry}"
    message_en = "An entry name must not be an absolute path: {entry}"


class BadEntryName(PackageRefused):
    code = "PACKAGE_BAD_ENTRY_NAME"
    message_zh = "案卷包条目名不合规（{reason}）：{entry}"
    message_en = "An entry name is not allowed ({reason}): {entry}"


class NonUtf8Name(PackageRefused):
    code = "PACKAGE_NON_UTF8_NAME"
    message_zh = "案卷包条目名不是 UTF-8 编码：{entry}"
    message_en = "An entry name is not UTF-8 encoded: {entry}"


class SymlinkEntry(PackageRefused):
    code = "PACKAGE_SYMLINK"
    message_zh = "案卷包不能包含符号链接：{entry}"
    message_en = "The case package must not contain symbolic links: {entry}"


class DuplicateEntry(PackageRefused):
    code = "PACKAGE_DUPLICATE_ENTRY"
    message_zh = "案卷包中有重名条目：{entry}"
    message_en = "The case package has duplicate entries: {entry}"


class EncryptedEntry(PackageRefused):
    code = "PACKAGE_ENCRYPTED_ENTRY"
    message_zh = "案卷包条目被加密，无法校验：{entry}"
    message_en = "An entry is encrypted and cannot be verified: {entry}"


class UnsupportedCompression(PackageRefused):
    code = "PACKAGE_UNSUPPORTED_COMPRESSION"
    message_zh = "案卷包条目使用了不支持的压缩方式（只接受存储或 deflate）：{entry}"
    message_en = "An entry uses an unsupported compression method (stored or deflate only): {entry}"


class TooManyEntries(PackageRefused):
    code = "PACKAGE_TOO_MANY_ENTRIES"
    message_zh = "案卷包条目过多：{count} 个，上限 {limit} 个"
    message_en = "The case package has too many entries: {count}, the limit is {limit}"


class EntryTooLarge(PackageRefused):
    code = "PACKAGE_ENTRY_TOO_LARGE"
    message_zh = "案卷包条目解压后过大：{entry}（{size} 字节，上限 {limit} 字节）"
    message_en = "An entry is too large uncompressed: {entry} ({size} bytes, limit {limit})"


class TotalTooLarge(PackageRefused):
    code = "PACKAGE_TOTAL_TOO_LARGE"
    message_zh = "案卷包解压后总大小过大：{size} 字节，上限 {limit} 字节"
    message_en = "The case package is too large uncompressed: {size} bytes, limit {limit}"


class CompressionRatio(PackageRefused):
    code = "PACKAGE_COMPRESSION_RATIO"
    message_zh = "案卷包条目压缩比异常（疑似压缩炸弹）：{entry}，压缩比 {ratio}，上限 {limit}"
    message_en = (
        "An entry has a suspicious compression ratio (zip bomb?): {entry}, ratio {ratio}, "
        "limit {limit}"
    )


class NonCanonicalLayout(PackageRefused):
    code = "PACKAGE_NON_CANONICAL"
    message_zh = "案卷包的 ZIP 结构不符合案卷包格式（{reason}）：{entry}"
    message_en = "The ZIP layout does not follow the case-package format ({reason}): {entry}"


class ManifestMissing(PackageRefused):
    code = "PACKAGE_MANIFEST_MISSING"
    message_zh = "案卷包缺少清单 META-INF/manifest.json"
    message_en = "The case package lacks its manifest META-INF/manifest.json"


class ManifestInvalid(PackageRefused):
    code = "PACKAGE_MANIFEST_INVALID"
    message_zh = "案卷包清单 META-INF/manifest.json 无效：{reason}"
    message_en = "The manifest META-INF/manifest.json is not valid: {reason}"


class FileNotInManifest(PackageRefused):
    code = "PACKAGE_FILE_NOT_IN_MANIFEST"
    message_zh = "案卷包中的文件未列入清单：{entry}"
    message_en = "A file in the package is not listed in the manifest: {entry}"


class FileMissing(PackageRefused):
    code = "PACKAGE_FILE_MISSING"
    message_zh = "清单中列出的文件在案卷包中不存在：{entry}"
    message_en = "A file listed in the manifest is missing from the package: {entry}"


class HashMismatch(PackageRefused):
    code = "PACKAGE_HASH_MISMATCH"
    message_zh = "文件内容与清单中的 SHA-256 不符（文件被修改或损坏）：{entry}"
    message_en = "A file does not match its SHA-256 in the manifest (changed or damaged): {entry}"


class SizeMismatch(PackageRefused):
    code = "PACKAGE_SIZE_MISMATCH"
    message_zh = "文件大小与清单不符：{entry}（清单 {expected} 字节，实际 {actual} 字节）"
    message_en = "A file's size does not match the manifest: {entry} ({expected} vs {actual} bytes)"


class FormInvalid(PackageRefused):
    code = "PACKAGE_FORM_INVALID"
    message_zh = "表格 {entry} 不是有效的 JSON 表格：{reason}"
    message_en = "The form {entry} is not a valid JSON form: {reason}"


class SignatureInvalid(PackageRefused):
    code = "PACKAGE_SIGNATURE_INVALID"
    message_zh = "签名 {entry} 验证失败：{reason}"
    message_en = "The signature {entry} does not verify: {reason}"


class UnknownBusinessType(PackageError):
    code = "PACKAGE_UNKNOWN_BUSINESS_TYPE"
    message_zh = "未知的业务类型：{name}（可选：{choices}）"
    message_en = "Unknown business type: {name} (choose one of: {choices})"


class IcLayoutNotSupported(PackageError):
    """Seed C5: IC layout designs (集成电路布图设计) belong to a separate platform."""

    code = "IC_LAYOUT_NOT_SUPPORTED"
    message_zh = (
        "本系统不办理集成电路布图设计业务：集成电路布图设计请使用集成电路布图设计电子申请平台办理"
    )
    message_en = (
        "Integrated-circuit layout designs are not handled here: use the separate IC layout "
        "design e-filing platform"
    )


class UnknownField(PackageError):
    code = "PACKAGE_UNKNOWN_FIELD"
    message_zh = "表格中没有字段 {field}{hint}"
    message_en = "The form has no field {field}{hint}"


class InvalidFieldValue(PackageError):
    code = "PACKAGE_INVALID_FIELD_VALUE"
    message_zh = "字段 {field} 的值不正确：{reason}"
    message_en = "The value of field {field} is not valid: {reason}"


class BadAssignment(PackageError):
    code = "PACKAGE_BAD_ASSIGNMENT"
    message_zh = "无法理解的赋值 {text}：应写作 字段=值，例如 title=一种折叠式电动自行车"
    message_en = "Cannot parse {text}: write FIELD=VALUE, e.g. title=A folding e-bike"


class AgencyLoginRequired(PackageError, PermissionDenied):
    """Seed C1, C3, C8: agency data needs a logged-in agency handler or sub-account."""

    code = "AGENCY_LOGIN_REQUIRED"
    status = 403
    message_zh = (
        "代理机构信息（{field}）只能由登录的代理机构经办人或子账户填写；当前身份：{role}。"
        "请先以代理机构用户登录（patentdesk login --as handler:机构 或 sub:子账户）"
    )
    message_en = (
        "Agency data ({field}) can be entered only by a logged-in agency handler or "
        "sub-account; you act as: {role}. Log in as an agency user first "
        "(patentdesk login --as handler:ORG or sub:ACCOUNT)"
    )


class AttachmentRejected(PackageError):
    code = "PACKAGE_ATTACHMENT_REJECTED"
    message_zh = "附件 {name} 不能加入案卷包：{reason}"
    message_en = "The attachment {name} cannot be added: {reason}"


class UnknownRole(PackageError):
    code = "PACKAGE_UNKNOWN_ROLE"
    message_zh = "业务类型 {business_type} 不接受附件角色 {role}（可选：{choices}）"
    message_en = "Business type {business_type} takes no attachment role {role} (choose: {choices})"


class EntryNotFound(PackageError):
    code = "PACKAGE_ENTRY_NOT_FOUND"
    status = 404
    message_zh = "案卷包中没有 {name}{hint}"
    message_en = "The case package has no {name}{hint}"


class EntryExists(PackageError):
    code = "PACKAGE_ENTRY_EXISTS"
    status = 409
    message_zh = "案卷包中已有 {name}；如需替换请加 --replace"
    message_en = "The case package already has {name}; add --replace to overwrite it"


class EntryProtected(PackageError):
    code = "PACKAGE_ENTRY_PROTECTED"
    message_zh = "{name} 是案卷包的必需部分，不能删除"
    message_en = "{name} is a required part of the package and cannot be removed"


class OutputExists(PackageError):
    code = "PACKAGE_OUTPUT_EXISTS"
    status = 409
    message_zh = "文件已存在：{path}；如需覆盖请加 --force"
    message_en = "The file already exists: {path}; add --force to overwrite it"


class LegacyPackageInvalid(PackageError):
    code = "LEGACY_PACKAGE_INVALID"
    message_zh = "旧版 CPC 电子申请案卷包无法导入：{reason}"
    message_en = "The legacy CPC e-filing package cannot be imported: {reason}"


class CaseAlreadyImported(PackageError):
    code = "PACKAGE_ALREADY_IMPORTED"
    status = 409
    message_zh = (
        "案卷 {package_id} 已在本地案卷列表中（{path}）；如需用导入的版本替换请加 --replace"
    )
    message_en = (
        "Case {package_id} is already in the local case list ({path}); add --replace to "
        "overwrite it with the imported copy"
    )


class RelatedNotAllowed(PackageError):
    code = "PACKAGE_RELATED_NOT_ALLOWED"
    message_zh = "业务类型 {business_type} 不能附带关联业务 {kind}（可选：{choices}）"
    message_en = (
        "Business type {business_type} takes no related business {kind} (choose: {choices})"
    )


class DocumentInvalid(PackageError):
    """A Word document or CNIPA XML text part that cannot become a package's text part."""

    code = "PACKAGE_DOCUMENT_INVALID"
    message_zh = "文件 {name} 不能作为{role}加入：{reason}"
    message_en = "The file {name} cannot be added as the {role}: {reason}"


class SequenceListingInvalid(PackageError):
    code = "PACKAGE_SEQUENCE_LISTING_INVALID"
    message_zh = "序列表 {name} 不符合 WIPO ST.26：{reason}"
    message_en = "The sequence listing {name} does not conform to WIPO ST.26: {reason}"
