"""Errors of the release repository (server) and the updater (client)."""

from __future__ import annotations

from patentdesk.errors import Conflict, NotFound, PatentDeskError, ValidationFailed


class ReleaseError(PatentDeskError):
    code = "RELEASE_ERROR"
    message_zh = "发布客户端版本失败"
    message_en = "Publishing the client release failed"


class RepositoryMissing(ReleaseError):
    code = "RELEASE_REPOSITORY_MISSING"
    status = 404
    message_zh = "尚未发布过客户端版本（数据目录中没有发布仓库）"
    message_en = (
        "No client release has been published yet (no release repository in the data folder)"
    )


class VersionInvalid(ValidationFailed):
    code = "RELEASE_VERSION_INVALID"
    message_zh = "版本号 {version!r} 不正确：应为用点分隔的数字，如 1.2.13"
    message_en = "Version {version!r} is not valid: expected dot-separated numbers such as 1.2.13"


class VersionExists(Conflict):
    code = "RELEASE_VERSION_EXISTS"
    message_zh = "版本 {version} 已经发布过"
    message_en = "Version {version} has already been published"


class VersionNotNewer(Conflict):
    code = "RELEASE_VERSION_NOT_NEWER"
    message_zh = "版本 {version} 不高于已发布的最新版本 {latest}"
    message_en = "Version {version} is not newer than the latest published version {latest}"


class BaseVersionUnknown(ValidationFailed):
    code = "RELEASE_BASE_UNKNOWN"
    message_zh = "增量包的基础版本 {version} 没有发布过"
    message_en = "The patch base version {version} has not been published"


class PackageInvalid(ValidationFailed):
    code = "RELEASE_PACKAGE_INVALID"
    message_zh = "安装包 {path} 不正确：{reason}"
    message_en = "The package {path} is not valid: {reason_en}"


class RoleUnknown(ValidationFailed):
    code = "RELEASE_ROLE_UNKNOWN"
    message_zh = "没有名为 {role} 的角色；可选 root、targets、snapshot、timestamp"
    message_en = "There is no role {role}; choose root, targets, snapshot or timestamp"


class MetadataNotFound(NotFound):
    code = "UPDATE_FILE_NOT_FOUND"
    message_zh = "更新文件不存在"
    message_en = "No such update file"


# --- client side -----------------------------------------------------------------------


class UpdateError(PatentDeskError):
    code = "UPDATE_FAILED"
    message_zh = "客户端更新失败，当前版本保持不变"
    message_en = "The client update failed; the installed version is unchanged"


class RootMissing(UpdateError):
    code = "UPDATE_ROOT_MISSING"
    message_zh = "没有受信任的根元数据：请用 patentdesk update --install-root root.json 安装随客户端发布的根元数据"
    message_en = (
        "No trusted root metadata: install the root shipped with the client with "
        "patentdesk update --install-root root.json"
    )


class RootInvalid(UpdateError):
    code = "UPDATE_ROOT_INVALID"
    message_zh = "根元数据文件 {path} 不正确：{reason}"
    message_en = "The root metadata file {path} is not valid: {reason}"


class NotPublished(UpdateError):
    code = "UPDATE_NOT_PUBLISHED"
    message_zh = "服务器 {url} 尚未发布客户端更新"
    message_en = "The server {url} has not published any client update"


class MetadataRefused(UpdateError):
    """Signed metadata failed verification: nothing was downloaded or installed."""

    code = "UPDATE_METADATA_INVALID"
    message_zh = "更新元数据验证失败，已拒绝（{reason}）；当前版本保持不变"
    message_en = "Update metadata failed verification and was refused ({reason}); the installed version is unchanged"


class MetadataExpired(MetadataRefused):
    code = "UPDATE_METADATA_EXPIRED"
    message_zh = "更新元数据已过期，可能遭到冻结攻击或服务器未及时续签（{reason}）；当前版本保持不变。请检查电脑时间，或联系运维人员"
    message_en = (
        "The update metadata has expired: a freeze attack, or the server did not re-sign it "
        "in time ({reason}); the installed version is unchanged. Check this computer's clock "
        "or contact the operators"
    )


class MetadataRollback(MetadataRefused):
    code = "UPDATE_METADATA_ROLLBACK"
    message_zh = (
        "服务器提供的更新元数据比已见过的旧，可能遭到回滚攻击（{reason}）；已拒绝，当前版本保持不变"
    )
    message_en = (
        "The server offered update metadata older than already seen, a possible rollback "
        "attack ({reason}); refused, the installed version is unchanged"
    )


class DownloadTooLarge(MetadataRefused):
    code = "UPDATE_DOWNLOAD_TOO_LARGE"
    message_zh = "服务器发送的数据超过了签名元数据规定的长度（{reason}），已中止；当前版本保持不变"
    message_en = (
        "The server sent more data than the signed metadata allows ({reason}); aborted, "
        "the installed version is unchanged"
    )


class TargetUnverifiable(UpdateError):
    code = "UPDATE_TARGET_INVALID"
    message_zh = "无法下载到与签名元数据一致的版本 {version} 安装包（增量包和完整包均校验失败）；当前版本保持不变"
    message_en = (
        "Could not download a package of version {version} matching the signed metadata "
        "(both patch and full package failed verification); the installed version is unchanged"
    )


class DowngradeRefused(UpdateError):
    code = "UPDATE_DOWNGRADE_REFUSED"
    message_zh = "服务器的最新版本 {available} 低于已安装的 {current}，拒绝降级"
    message_en = (
        "The server's latest version {available} is older than the installed {current}; "
        "downgrade refused"
    )


class NoPrevious(UpdateError):
    code = "UPDATE_NO_PREVIOUS"
    message_zh = "没有可以回退的上一版本"
    message_en = "There is no previous version to roll back to"


class InstallDamaged(UpdateError):
    code = "UPDATE_INSTALL_DAMAGED"
    message_zh = "版本 {version} 的安装文件缺失或被改动（{files}）"
    message_en = "Installed files of version {version} are missing or changed ({files})"


class SelfCheckFailed(UpdateError):
    code = "UPDATE_SELF_CHECK_FAILED"
    message_zh = "新版本 {version} 安装后自检失败（{reason}），已放弃该版本，继续使用 {current}"
    message_en = (
        "The new version {version} failed its self-check after installing ({reason}); it "
        "was discarded and {current} stays in use"
    )
