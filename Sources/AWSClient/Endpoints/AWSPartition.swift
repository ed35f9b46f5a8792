/// A group of AWS regions with its own DNS suffix and its own global-service endpoints.
///
/// A region's partition decides where IAM and Organizations live: the commercial ones
/// answer only in us-east-1, GovCloud's and China's in regions of their own. Regions of
/// unknown prefix are treated as commercial, which is where new regions appear.
enum AWSPartition: Sendable, Equatable {
    case aws, china, govCloud

    init(region: String) {
        if region.hasPrefix("cn-") {
            self = .china
        } else if region.hasPrefix("us-gov-") {
            self = .govCloud
        } else {
            self = .aws
        }
    }

    var dnsSuffix: String {
        switch self {
        case .aws, .govCloud: "amazonaws.com"
        case .china: "amazonaws.com.cn"
        }
    }
}
